/**
 * Client buffers whose memory changes behind a registration cache's back, the way applications
 * free, unmap, remap, discard and move buffers: {@link org.regcache.e2e.memory.BufferPool} and
 * the {@link org.regcache.e2e.memory.ChurnKind}s it applies (direct ByteBuffers reallocated;
 * munmap + mmap at the same address; mmap(MAP_FIXED); madvise(MADV_DONTNEED); mremap).
 */
package org.regcache.e2e.memory;
