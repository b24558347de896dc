package org.regcache.ummu;

/**
 * The kernel's rules of the event ring (kernel/event_ring.c) that both of its Java models,
 * {@link FakeUmmunotifyDevice} and {@link ModelCheckedDevice}, follow: when an entry fits, and
 * which tail word it trusts.
 */
final class KernelRingRules {
    private KernelRingRules() {
    }

    /** evring_push(): {@return whether an entry fits: fewer than {@code entries} unconsumed} */
    static boolean hasRoom(long head, long tail, int entries) {
        return head - tail < entries;
    }

    /**
     * evring_tail(): {@return {@code word}, the consumer's tail word, if it lies within [{@code
     * lastValid}, {@code head}]; else {@code lastValid}} A consumer can make its own ring look
     * full, no more.
     */
    static long validTail(long word, long lastValid, long head) {
        return Long.compareUnsigned(word - lastValid, head - lastValid) <= 0 ? word : lastValid;
    }
}
