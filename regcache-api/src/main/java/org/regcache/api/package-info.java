/**
 * The registration cache contract a Java RDMA application codes against.
 *
 * <p>Applications use {@link org.regcache.api.RegistrationCache} (built by {@link
 * org.regcache.api.RegistrationCacheBuilder}) and the {@link org.regcache.api.RegistrationHandle}s
 * it returns ({@link org.regcache.api.RegistrationCache#acquire(java.nio.ByteBuffer,
 * java.util.Set)} for direct buffers), and monitor it through {@link
 * org.regcache.api.CacheStats} or, over JMX, {@link org.regcache.api.RegistrationCacheMBean}.
 * Two SPIs plug in below it: a {@link org.regcache.api.Registrar} registers memory
 * with the device (DiSNI in regcache-verbs), and an {@link org.regcache.api.InvalidationSource}
 * reports memory that changed (/dev/ummunotify in regcache-ummu). Every other class of this
 * package is the generic cache implementation and is package-private.
 *
 * <h2>What makes a registration stale, and what does not</h2>
 *
 * <p>A registration pins the physical pages that a range of virtual addresses mapped when it
 * was made, and the NIC reads and writes those pages. It goes <em>stale</em> when the range
 * stops mapping them: {@code munmap()}, {@code mremap()}, a {@code MAP_FIXED} mapping over it,
 * {@code madvise()} that discards pages ({@code MADV_DONTNEED}, {@code MADV_FREE}, {@code
 * MADV_REMOVE}), and any other change that may replace or remove its pages. Each of these passes
 * through the kernel's MMU notifier, which /dev/ummunotify relays: the cache drops the
 * registration, and the next acquire of the range registers the new pages. Changes that keep
 * the pages ({@code mprotect()}, NUMA balancing's scans) need no re-registration, and the
 * ummunotify source leaves them out.
 *
 * <p><b>Freeing memory is not in itself a change of the mapping.</b> What the kernel sees, and
 * so what the cache sees, is what the allocator does with the pages:
 * <ul>
 * <li><b>Freed, still mapped: no invalidation, and none is needed.</b> {@code free()} of a
 *     small block, the cleaner of a direct {@link java.nio.ByteBuffer} (including {@code
 *     Unsafe.invokeCleaner}), and {@code Arena.close()} of JDK 22 and later all return memory
 *     to {@code malloc}, which keeps small blocks mapped (glibc: below {@code
 *     M_MMAP_THRESHOLD}, 128 KiB and more as it adapts). The registration still pins exactly
 *     the pages the range maps, so it stays correct.</li>
 * <li><b>Allocator reuse: a hit, and a correct one.</b> When the allocator hands the same
 *     addresses out again (a new direct buffer at the address of a freed one), an acquire of
 *     them returns the cached registration: same addresses, same pages.</li>
 * <li><b>Freed and unmapped: invalidated.</b> Large blocks are {@code munmap()}ed by {@code
 *     free()}, and the allocator may trim or {@code madvise()} away free memory at any time;
 *     the cache drops the registrations of that memory, and an acquire of memory mapped there
 *     later registers its new pages.</li>
 * </ul>
 *
 * <p><b>What an application must not do: free memory that a live handle covers</b>, or that a
 * posted work request may still use, by any means: {@code free()} or {@code munmap()} of memory
 * acquired by address, {@code Unsafe.invokeCleaner} of a direct buffer, {@code Arena.close()}
 * of the arena of a segment whose buffer view or address was acquired. Nothing detects it and
 * nothing is thrown: the handle keeps a {@link java.nio.ByteBuffer} reachable, which only stops
 * the garbage collector's cleaner; {@code Arena.close()} does not know of the handle; the
 * registration is not stale while the allocator keeps the pages mapped. Until the allocator
 * reuses the memory the NIC's writes land in free memory; once it does, they land in whatever
 * the program put there, which is memory corruption. If the memory is unmapped instead, the
 * entry in use is detached (see {@link org.regcache.api.RegistrationCache}): the NIC keeps the
 * old pages, pinned, until the handle's release, and its writes are lost. The order is: the
 * work requests complete, the handle is released, then the memory is freed. A handle must not
 * be used for memory outside the range it was acquired for either, even where the registration
 * covers more.
 */
package org.regcache.api;
