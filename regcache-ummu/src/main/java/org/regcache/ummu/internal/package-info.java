/**
 * Not API: regcache's own plumbing, public only so that regcache's other modules and tests can
 * share it. Applications must not use it; it may change or go in any release without notice,
 * and it is left out of the published javadoc.
 *
 * <p>{@link org.regcache.ummu.internal.LibC}, the one JNA binding of the C library: the calls
 * regcache-ummu makes on {@code /dev/ummunotify}, and those its guest tests and the end-to-end
 * tests make to change mappings, pin pages and set CPU affinity.
 */
package org.regcache.ummu.internal;
