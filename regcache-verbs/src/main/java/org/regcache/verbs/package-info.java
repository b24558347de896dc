/**
 * The {@link org.regcache.api.Registrar} of regcache on DiSNI 2.1 (RDMA verbs from Java), and
 * DiSNI's native library, {@code libdisni.so}, which this module builds from source and carries
 * in its jar.
 *
 * <p>An application opens a {@link org.regcache.verbs.DisniProtectionDomain} on an RDMA device
 * (by name, {@link org.regcache.verbs.DisniProtectionDomain#openDevice(String)}, or by the IPv4
 * address of its interface) and gives its {@link
 * org.regcache.verbs.DisniProtectionDomain#registrar()}, a {@link
 * org.regcache.verbs.DisniRegistrar}, to {@link
 * org.regcache.api.RegistrationCacheBuilder#registrar(org.regcache.api.Registrar)}; the
 * registrations it makes are {@link org.regcache.verbs.DisniRegistration}s, whose {@code
 * lkey} and {@code rkey} go into work requests. {@link org.regcache.verbs.DisniNativeLibrary}
 * states the JVM flags DiSNI needs ({@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED},
 * {@code --enable-native-access=ALL-UNNAMED} and a {@code -Djava.library.path} holding
 * {@code libdisni.so}), checks them before the first DiSNI call, and extracts the library from
 * the jar ({@code java -cp regcache-verbs.jar org.regcache.verbs.DisniNativeLibrary DIR}).
 *
 * <p>Errors name the remedy: a missing JVM flag or library path, a device that does not exist
 * (with how to list devices and to add a SoftRoCE one), a device without an IPv4 address,
 * and device failures with their errno ({@link org.regcache.api.RegistrationException#errno()}).
 * Every other class of this package is package-private.
 */
package org.regcache.verbs;
