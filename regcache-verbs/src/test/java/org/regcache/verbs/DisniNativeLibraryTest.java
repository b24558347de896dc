package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How an application gets DiSNI's prerequisites right, checked in child JVMs. */
class DisniNativeLibraryTest {
    private static final Path BUILT = Path.of(System.getProperty("java.library.path")
            .split(File.pathSeparator)[0], System.mapLibraryName(DisniNativeLibrary.NAME));

    /** Runs java [flags] mainClass [args]; returns exit status and output. */
    private static String[] runJava(List<String> flags, String mainClass, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(flags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(Arrays.asList(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new String[] {Integer.toString(process.waitFor()), output.strip()};
    }

    private static List<String> flags(String... flags) {
        List<String> list = new ArrayList<>();
        for (String flag : flags) {
            list.addAll(Arrays.asList(flag.split(" ")));
        }
        return list;
    }

    @Test
    void withoutTheExportTheFlagIsNamed() throws Exception {
        String[] result = runJava(flags("-Djava.library.path=" + BUILT.getParent()),
                PrerequisiteProbe.class.getName());

        assertEquals("3", result[0], result[1]);
        assertTrue(result[1].contains("--add-exports java.base/sun.nio.ch=ALL-UNNAMED"), result[1]);
    }

    @Test
    void withoutTheLibraryTheLibraryPathIsNamed(@TempDir Path empty) throws Exception {
        String[] result = runJava(flags(DisniNativeLibrary.JVM_FLAGS,
                "-Djava.library.path=" + empty), PrerequisiteProbe.class.getName());

        assertEquals("3", result[0], result[1]);
        assertTrue(result[1].startsWith("DiSNI cannot load libdisni.so from java.library.path="
                + empty), result[1]);
        assertTrue(result[1].contains(DisniNativeLibrary.class.getName() + " DIR"), result[1]);
    }

    @Test
    void theExtractedLibraryMakesDisniUsable(@TempDir Path directory) throws Exception {
        Path target = directory.resolve("lib");
        String[] extraction = runJava(List.of(), DisniNativeLibrary.class.getName(),
                target.toString());
        assertEquals("0", extraction[0], extraction[1]);
        assertEquals("-Djava.library.path=" + target + " " + DisniNativeLibrary.JVM_FLAGS,
                extraction[1]);
        assertArrayEquals(Files.readAllBytes(BUILT),
                Files.readAllBytes(target.resolve("libdisni.so")));
        assertEquals(Set.of("libdisni.so"), Arrays.stream(target.toFile().list())
                .collect(Collectors.toSet()), "no partial files left behind");

        String[] probe = runJava(flags(extraction[1]), PrerequisiteProbe.class.getName());
        assertEquals("0", probe[0], probe[1]);
        assertEquals("usable", probe[1]);
    }

    @Test
    void theExtractorNeedsADirectory() throws Exception {
        String[] result = runJava(List.of(), DisniNativeLibrary.class.getName());

        assertEquals("2", result[0], result[1]);
        assertTrue(result[1].startsWith("usage: "), result[1]);
    }

    @Test
    void theTestJvmMeetsDisnisPrerequisites() {
        DisniNativeLibrary.requireUsable();
    }
}
