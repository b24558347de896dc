package org.regcache.e2e.workload;

import org.regcache.api.RegistrationCache;
import org.regcache.api.Registrar;
import org.regcache.ummu.UmmunotifyInvalidationSource;

/** The three ways the demo acquires registrations, each building a {@link RegistrationCache}. */
public enum CacheMode {
    /** (a) {@code uncached()}: register on every acquire, deregister on every release. */
    UNCACHED("a", "no cache (register+deregister per transfer)"),
    /** (b) the registration cache, invalidated by /dev/ummunotify. */
    UMMUNOTIFY("b", "regcache + /dev/ummunotify"),
    /** (c) the same cache with invalidation switched off: UNSAFE, for demonstration only. */
    UNSAFE_NO_INVALIDATION("c", "UNSAFE regcache, invalidation off");

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
        switch (this) {
            case UNCACHED:
                return RegistrationCache.builder().registrar(registrar).uncached().build();
            case UMMUNOTIFY:
                return RegistrationCache.builder().registrar(registrar)
                        .invalidationSource(UmmunotifyInvalidationSource::open)
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
        throw new IllegalArgumentException("no mode '" + letter + "': the modes are a, b, c");
    }
}
