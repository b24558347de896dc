/**
 * {@link org.regcache.ummu.UmmunotifyInvalidationSource}: the {@link
 * org.regcache.api.InvalidationSource} backed by the ummunotify kernel module, through JNA.
 * Everything else here (the native binding, the ABI constants, the event buffer) is
 * package-private, except the two JNA Structures, which JNA requires to be public.
 */
package org.regcache.ummu;
