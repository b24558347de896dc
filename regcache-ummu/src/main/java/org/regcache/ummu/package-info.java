/**
 * {@link org.regcache.ummu.UmmunotifyInvalidationSource}: the {@link
 * org.regcache.api.InvalidationSource} backed by the ummunotify kernel module, through JNA.
 * Everything else here (the ABI constants, the event buffer) is package-private, except the
 * two JNA Structures, which JNA requires to be public. The libc binding is in {@code
 * org.regcache.ummu.internal}: public for regcache's other modules and tests, not API.
 */
package org.regcache.ummu;
