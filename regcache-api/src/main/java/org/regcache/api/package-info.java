/**
 * The registration cache contract a Java RDMA application codes against.
 *
 * <p>Applications use {@link org.regcache.api.RegistrationCache} (built by {@link
 * org.regcache.api.RegistrationCacheBuilder}) and the {@link org.regcache.api.RegistrationHandle}s
 * it returns. Two SPIs plug in below it: a {@link org.regcache.api.Registrar} registers memory
 * with the device (DiSNI in regcache-verbs), and an {@link org.regcache.api.InvalidationSource}
 * reports memory that changed (/dev/ummunotify in regcache-ummu). Every other class of this
 * package is the generic cache implementation and is package-private.
 */
package org.regcache.api;
