package org.regcache.e2e.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
    @Test
    void firstColumnIsLeftAlignedAndTheOthersRightAlignedToTheWidestCell() {
        List<String> lines = TextTable.align(List.of(
                new String[] {"mode", "n", "rate"},
                new String[] {"(a) long label", "12,345", "1.0%"},
                new String[] {"(b)", "7", "99.5%"}));
        assertEquals(List.of(
                "mode                 n   rate",
                "(a) long label  12,345   1.0%",
                "(b)                  7  99.5%"), lines);
    }

    @Test
    void noRowsGiveNoLines() {
        assertEquals(List.of(), TextTable.align(List.of()));
    }
}
