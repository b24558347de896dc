package org.regcache.e2e.workload;

import java.nio.file.Path;
import java.util.function.Consumer;
import org.regcache.api.RegistrationCache;
import org.regcache.api.Registrar;
import org.regcache.ummu.UmmunotifyInvalidationSource;

/**
 * The ways the demo acquires registrations, each building a {@link RegistrationCache}: the
 * three of every demo, and (d), which shows on a NUMA machine what the kernel's filter of
 * invalidations that keep the pages saves.
 */
public enum CacheMode {
    /** (a) {@code uncached()}: register on every acquire, deregister on every release. */
    UNCACHED("a", "no cache (register+deregister per transfer)"),
    /** (b) the registration cache, invalidated by /dev/ummunotify. */
    UMMUNOTIFY("b", "regcache + /dev/ummunotify"),
    /** (c) the same cache with invalidation switched off: UNSAFE, for demonstration only. */
    UNSAFE_NO_INVALIDATION("c", "UNSAFE regcache, invalidation off"),
    /**
     * (d) like (b), but without {@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES}: every invalidation
     * is reported, also those that keep the pages (mprotect, NUMA balancing, fork), as in 2010.
     */
    UMMUNOTIFY_EVERY_INVALIDATION("d", "regcache + /dev/ummunotify, no filter");

    /** The modes of the demo unless told otherwise: (a), (b) and (c). */
    public static final java.util.List<CacheMode> DEFAULT =
            java.util.List.of(UNCACHED, UMMUNOTIFY, UNSAFE_NO_INVALIDATION);

    private final String letter;
    private final String description;

    CacheMode(String letter, String description) {
        this.letter = letter;
        this.description = description;
    }

    /** The mode's letter: a, b or c. */
    public String letter() {
        return letter;
    }

    /** A short description for output, naming the unsafe mode as such. */
    public String description() {
        return description;
    }

    /** "(b) regcache + /dev/ummunotify" and so on. */
    public String label() {
        return "(" + letter + ") " + description;
    }

    /**
     * Builds the cache of this mode over {@code registrar}.
     *
     * @param maxPinnedBytes capacity of the caching modes (unused by {@link #UNCACHED})
     * @throws org.regcache.ummu.UmmunotifyException for {@link #UMMUNOTIFY} without the device
     */
    public RegistrationCache open(Registrar registrar, long maxPinnedBytes) {
        return open(registrar, maxPinnedBytes, source -> { });
    }

    /**
     * Builds the cache of this mode over {@code registrar}, handing the ummunotify source of
     * (b) and (d) to {@code opened} once the cache has it (for its kernel counts).
     *
     * @param maxPinnedBytes capacity of the caching modes (unused by {@link #UNCACHED})
     * @throws org.regcache.ummu.UmmunotifyException for (b) and (d) without the device
     */
    public RegistrationCache open(Registrar registrar, long maxPinnedBytes,
            Consumer<UmmunotifyInvalidationSource> opened) {
        switch (this) {
            case UNCACHED:
                return RegistrationCache.builder().registrar(registrar).uncached().build();
            case UMMUNOTIFY:
            case UMMUNOTIFY_EVERY_INVALIDATION:
                boolean skip = this == UMMUNOTIFY;
                return RegistrationCache.builder().registrar(registrar)
                        .invalidationSource(() -> {
                            UmmunotifyInvalidationSource source = UmmunotifyInvalidationSource
                                    .open(Path.of("/dev/ummunotify"), false, skip);
                            opened.accept(source);
                            return source;
                        })
                        .maxPinnedBytes(maxPinnedBytes).build();
            case UNSAFE_NO_INVALIDATION:
                return RegistrationCache.builder().registrar(registrar)
                        .unsafeWithoutInvalidationForDemonstration()
                        .maxPinnedBytes(maxPinnedBytes).build();
            default:
                throw new AssertionError(this);
        }
    }

    /** The mode whose letter is {@code letter}. */
    public static CacheMode ofLetter(String letter) {
        for (CacheMode mode : values()) {
            if (mode.letter.equals(letter)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("no mode '" + letter + "': the modes are a, b, c, d");
    }
}
