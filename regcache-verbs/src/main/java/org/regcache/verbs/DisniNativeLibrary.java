package org.regcache.verbs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The JVM prerequisites of DiSNI, checked up front with a message saying how to fix them.
 *
 * <p>DiSNI loads its JNI library with {@code System.loadLibrary("disni")} in static
 * initializers, so {@code libdisni.so} must be in a directory on {@code java.library.path}
 * when DiSNI's classes initialize; a copy loaded earlier with {@code System.load} does not
 * count (JDK 17 searches the path regardless). This module builds the library and ships it in
 * its jar under {@link #RESOURCE}; applications either pass
 * {@code -Djava.library.path=<regcache-verbs>/target/native}, or extract the jar's copy once
 * with {@code java -cp regcache-verbs.jar org.regcache.verbs.DisniNativeLibrary DIR} and pass
 * {@code -Djava.library.path=DIR} ({@code LD_LIBRARY_PATH=DIR} works too).
 *
 * <p>On JDK 16 and later DiSNI also needs {@code --add-exports
 * java.base/sun.nio.ch=ALL-UNNAMED} (it casts buffers to {@code sun.nio.ch.DirectBuffer}). On
 * JDK 24 and later {@code --enable-native-access=ALL-UNNAMED} keeps the JVM from warning that
 * DiSNI (and JNA) call {@code System.loadLibrary}; JDK 17 accepts the flag too, so {@link
 * #JVM_FLAGS} are the same for both.
 */
public final class DisniNativeLibrary {
    /** Library name DiSNI loads. */
    public static final String NAME = "disni";
    /** The JVM flag DiSNI needs on JDK 16 and later. */
    public static final String ADD_EXPORTS_FLAG = "--add-exports java.base/sun.nio.ch=ALL-UNNAMED";
    /** The JVM flag that lets DiSNI and JNA load native libraries without a warning (JDK 24+). */
    public static final String NATIVE_ACCESS_FLAG = "--enable-native-access=ALL-UNNAMED";
    /** Every JVM flag DiSNI needs besides {@code -Djava.library.path}, on JDK 17 to 25. */
    public static final String JVM_FLAGS = ADD_EXPORTS_FLAG + " " + NATIVE_ACCESS_FLAG;
    /** Class path resource holding this platform's libdisni.so. */
    public static final String RESOURCE =
            "native/linux-" + System.getProperty("os.arch") + "/" + System.mapLibraryName(NAME);

    private DisniNativeLibrary() {
    }

    /**
     * Checks that DiSNI can run in this JVM: {@code sun.nio.ch} is exported to the class path
     * and libdisni loads by name. Loading it is harmless: DiSNI would load it anyway.
     *
     * @throws IllegalStateException naming the missing flag or library path otherwise
     */
    public static void requireUsable() {
        Module base = Object.class.getModule();
        if (!base.isExported("sun.nio.ch", DisniNativeLibrary.class.getModule())) {
            throw new IllegalStateException("DiSNI needs the JVM flag " + ADD_EXPORTS_FLAG
                    + " (it casts direct buffers to sun.nio.ch.DirectBuffer)");
        }
        try {
            System.loadLibrary(NAME);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("DiSNI cannot load " + System.mapLibraryName(NAME)
                    + " from java.library.path=" + System.getProperty("java.library.path")
                    + ": pass -Djava.library.path=<directory holding it> (regcache-verbs "
                    + "builds it into target/native; `java -cp <regcache-verbs jar> "
                    + DisniNativeLibrary.class.getName() + " DIR` extracts the jar's copy). "
                    + "Cause: " + e.getMessage(), e);
        }
    }

    /**
     * Copies the jar's libdisni.so into {@code directory} (created if needed), replacing an
     * older copy atomically, and returns the file.
     *
     * @param directory where the library goes
     * @return the library's path
     * @throws IOException if this jar has no library for this platform or the copy fails
     */
    public static Path extractTo(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path target = directory.resolve(System.mapLibraryName(NAME));
        try (InputStream in = DisniNativeLibrary.class.getClassLoader()
                .getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("no " + RESOURCE + " in the class path: this build of "
                        + "regcache-verbs has no libdisni for " + System.getProperty("os.arch"));
            }
            Path partial = Files.createTempFile(directory, ".libdisni", ".partial");
            try {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return target;
    }

    /**
     * {@code java -cp regcache-verbs.jar org.regcache.verbs.DisniNativeLibrary DIR}: extracts
     * libdisni.so into DIR and prints the JVM flags that use it.
     *
     * @param args the directory DIR, alone
     * @throws IOException when the extraction fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java -cp <regcache-verbs jar> "
                    + DisniNativeLibrary.class.getName() + " DIRECTORY");
            System.exit(2);
        }
        Path library = extractTo(Path.of(args[0]).toAbsolutePath());
        System.out.println("-Djava.library.path=" + library.getParent() + " " + JVM_FLAGS);
    }
}
