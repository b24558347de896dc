package org.regcache.verbs;

/**
 * Child-JVM entry point of {@link DisniNativeLibraryTest}: prints "usable" or the message of
 * {@link DisniNativeLibrary#requireUsable()}'s exception.
 */
public final class PrerequisiteProbe {
    private PrerequisiteProbe() {
    }

    public static void main(String[] args) {
        try {
            DisniNativeLibrary.requireUsable();
            System.out.println("usable");
        } catch (IllegalStateException e) {
            System.out.println(e.getMessage());
            System.exit(3);
        }
    }
}
