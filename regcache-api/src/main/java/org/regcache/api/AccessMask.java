package org.regcache.api;

import java.util.Objects;
import java.util.Set;

/**
 * {@link Access} sets as bit masks, so that the superset check of a lookup is one AND.
 * {@link #of} asks {@code contains} once per constant: no iterator, no allocation.
 */
final class AccessMask {
    private static final Access[] ALL = Access.values();

    private AccessMask() {
    }

    static int of(Set<Access> access) {
        Objects.requireNonNull(access, "access");
        int mask = 0;
        for (int i = 0; i < ALL.length; i++) {
            if (access.contains(ALL[i])) {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    /** Whether rights {@code granted} include every right of {@code wanted}. */
    static boolean satisfies(int granted, int wanted) {
        return (granted & wanted) == wanted;
    }
}
