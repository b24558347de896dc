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
 */
package org.regcache.api;
