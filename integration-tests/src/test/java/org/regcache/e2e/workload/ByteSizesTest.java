package org.regcache.e2e.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ByteSizesTest {
    @Test
    void parsesPlainAndBinaryUnits() {
        assertEquals(4096, ByteSizes.parse("4096"));
        assertEquals(4096, ByteSizes.parse("4k"));
        assertEquals(65536, ByteSizes.parse("64KiB"));
        assertEquals(1 << 20, ByteSizes.parse("1m"));
        assertEquals(1 << 20, ByteSizes.parse(" 1 MB "));
        assertEquals(2L << 30, ByteSizes.parse("2G"));
        assertEquals(List.of(4096, 65536, 1 << 20), ByteSizes.parseIntList("4k,64k,1m"));
    }

    @Test
    void rejectsWhatIsNotASizeNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ByteSizes.parse("4x"));
        assertTrue(e.getMessage().contains("'4x'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("-1"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse(""));
        assertThrows(IllegalArgumentException.class,
                () -> ByteSizes.parse("99999999999999999999"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("9000000000g"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parseIntList("4k,,1m"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parseIntList("4g"));
    }

    @Test
    void formatsExactValuesWithoutDecimals() {
        assertEquals("512 B", ByteSizes.format(512));
        assertEquals("4 KiB", ByteSizes.format(4096));
        assertEquals("1.5 MiB", ByteSizes.format(1.5 * (1 << 20)));
        assertEquals("16 MiB", ByteSizes.format(16 << 20));
        assertEquals("150 MiB", ByteSizes.format(150.4 * (1 << 20)));
    }
}
