package org.regcache.api;

import java.util.Objects;
import java.util.function.Supplier;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link RegistrationCache}; obtained from {@link RegistrationCache#builder()}.
 *
 * <p>Three modes:
 * <ul>
 * <li><b>cached</b> (the default): needs {@link #registrar}, an invalidation source ({@link
 *     #invalidationSource(Supplier)} or {@link #invalidationSource(InvalidationSource)}) and
 *     {@link #maxPinnedBytes}; {@link #maxEntries} defaults to {@value #DEFAULT_MAX_ENTRIES}.
 * <li><b>{@link #uncached()}</b>: registers on every acquire and deregisters on every release;
 *     needs only the registrar. For users who want no invalidation machinery.
 * <li><b>{@link #unsafeWithoutInvalidationForDemonstration()}</b>: caches without any
 *     invalidation, so it returns stale registrations after memory changes. Demonstrations and
 *     tests only.
 * </ul>
 *
 * <p>In every mode, {@link #jmxName(String)} makes the cache's {@link CacheStats} visible through
 * JMX as a {@link RegistrationCacheMBean}.
 *
 * <p>Every setter checks its argument at once and throws an exception naming the parameter;
 * {@link #build()} checks the combination. The builder is not thread-safe; it may build several
 * caches, each opening its own invalidation source.
 */
public final class RegistrationCacheBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(RegistrationCacheBuilder.class);

    /** Default of {@link #maxEntries}. */
    public static final long DEFAULT_MAX_ENTRIES = 65_536;
    /** Default of {@link #pageSize}: the base page size of x86_64 and most arm64 kernels. */
    public static final long DEFAULT_PAGE_SIZE = 4096;
    private static final long MIN_PAGE_SIZE = 4096;
    private static final long MAX_PAGE_SIZE = 1L << 30;

    private Registrar registrar;
    private Supplier<? extends InvalidationSource> invalidationSource;
    /** The source given open, or null; see {@link #invalidationSource(InvalidationSource)}. */
    private InvalidationSource openSource;
    /** Whether a build() took {@link #openSource} (it belongs to that build's cache). */
    private boolean openSourceTaken;
    private long maxPinnedBytes = -1;
    private long maxEntries = -1;
    private long pageSize = DEFAULT_PAGE_SIZE;
    private boolean uncached;
    private boolean unsafeWithoutInvalidation;
    private ObjectName jmxName;

    RegistrationCacheBuilder() {
    }

    /**
     * The registrar that registers and deregisters memory; required in every mode.
     *
     * @param registrar the registrar; the cache uses it but does not own (close) it
     * @return this builder
     */
    public RegistrationCacheBuilder registrar(Registrar registrar) {
        this.registrar = Objects.requireNonNull(registrar, "registrar");
        return this;
    }

    /**
     * How to open the invalidation source, for example {@code UmmunotifyInvalidationSource::open}
     * from regcache-ummu. Called once per {@link #build()}, after every other check passed; the
     * cache owns the source it returns and closes it. Exceptions it throws (a missing device)
     * propagate from {@code build()}.
     *
     * @param opener opens a new source each time it is called
     * @return this builder
     * @see #invalidationSource(InvalidationSource)
     */
    public RegistrationCacheBuilder invalidationSource(
            Supplier<? extends InvalidationSource> opener) {
        this.invalidationSource = Objects.requireNonNull(opener, "invalidationSource");
        this.openSource = null;
        return this;
    }

    /**
     * An invalidation source the application opened itself, for one cache. A program that opens
     * its source first, before its RDMA device, reports a missing {@code /dev/ummunotify} before
     * anything else:
     *
     * <pre>{@code
     * try (UmmunotifyInvalidationSource ummunotify = UmmunotifyInvalidationSource.open();
     *      DisniProtectionDomain domain = DisniProtectionDomain.openDevice("rxe0");
     *      RegistrationCache cache = RegistrationCache.builder()
     *              .registrar(domain.registrar())
     *              .invalidationSource(ummunotify)
     *              .maxPinnedBytes(1L << 30)
     *              .build()) {
     *     ...
     * }
     * }</pre>
     *
     * <p>The source belongs to the cache from {@link #build()} on: the cache starts it and
     * closes it, and a {@code build()} that fails closes it too. Closing it again (as the
     * try-with-resources above does) is harmless: {@link InvalidationSource#close()} is
     * idempotent. Replaces an opener given to {@link #invalidationSource(Supplier)}.
     *
     * @param source an open source, not started, used by no other cache
     * @return this builder
     * @see #invalidationSource(Supplier)
     */
    public RegistrationCacheBuilder invalidationSource(InvalidationSource source) {
        this.openSource = Objects.requireNonNull(source, "invalidationSource");
        this.openSourceTaken = false;
        this.invalidationSource = null;
        return this;
    }

    /**
     * Upper bound on the bytes of cached registrations (whole pages); required for a caching
     * cache. Idle entries are evicted beyond it; entries in use are not, so registrations in use
     * can exceed it. A single request larger than this is registered for its caller alone and
     * deregistered at its release.
     *
     * @param maxPinnedBytes the bound, in bytes
     * @return this builder
     * @throws IllegalArgumentException when not positive
     */
    public RegistrationCacheBuilder maxPinnedBytes(long maxPinnedBytes) {
        if (maxPinnedBytes <= 0) {
            throw new IllegalArgumentException(
                    "maxPinnedBytes must be > 0, was " + maxPinnedBytes);
        }
        this.maxPinnedBytes = maxPinnedBytes;
        return this;
    }

    /**
     * Upper bound on the number of cached registrations (each also holds one watch of the
     * invalidation source). Default {@value #DEFAULT_MAX_ENTRIES}.
     *
     * @param maxEntries the bound
     * @return this builder
     * @throws IllegalArgumentException when not positive
     */
    public RegistrationCacheBuilder maxEntries(long maxEntries) {
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be > 0, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        return this;
    }

    /**
     * Granularity of registrations: requests are widened to whole pages. A power of two from
     * 4096 to 2^30; default {@value #DEFAULT_PAGE_SIZE}.
     *
     * @param pageSize the page size of the kernel the cache runs on, in bytes
     * @return this builder
     * @throws IllegalArgumentException otherwise
     */
    public RegistrationCacheBuilder pageSize(long pageSize) {
        if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE
                || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("pageSize must be a power of two between "
                    + MIN_PAGE_SIZE + " and " + MAX_PAGE_SIZE + ", was " + pageSize);
        }
        this.pageSize = pageSize;
        return this;
    }

    /**
     * Selects the uncached mode: register on acquire, deregister on release, no invalidation
     * source, no capacity limits (setting them is an error).
     *
     * @return this builder
     */
    public RegistrationCacheBuilder uncached() {
        this.uncached = true;
        return this;
    }

    /**
     * <b>UNSAFE — for demonstrations and tests only.</b> Selects a caching mode with no
     * invalidation at all: after memory is unmapped, remapped or its pages discarded, the cache
     * keeps returning the old registration, whose keys make the NIC read and write the old
     * physical pages — silent data corruption. It exists to show what the invalidation source
     * prevents. Production code uses an invalidation source or {@link #uncached()}.
     *
     * @return this builder
     */
    public RegistrationCacheBuilder unsafeWithoutInvalidationForDemonstration() {
        this.unsafeWithoutInvalidation = true;
        return this;
    }

    /**
     * Registers the cache's statistics as a {@link RegistrationCacheMBean} with the platform
     * MBean server ({@link java.lang.management.ManagementFactory#getPlatformMBeanServer()})
     * under this name when {@link #build()} returns, and unregisters it when the cache is
     * closed. Optional; by default nothing is registered. Each live cache needs its own name.
     *
     * @param name a JMX object name that is not a pattern, for example {@code
     *             "org.regcache:type=RegistrationCache,name=rdma-client"}
     * @return this builder
     * @throws IllegalArgumentException when {@code name} is not a valid object name or is a
     *                                  pattern (contains {@code *} or {@code ?} wildcards)
     */
    public RegistrationCacheBuilder jmxName(String name) {
        Objects.requireNonNull(name, "jmxName");
        ObjectName parsed;
        try {
            parsed = new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("jmxName is not a JMX object name (domain:key=value"
                    + "[,key=value...], e.g. org.regcache:type=RegistrationCache,name=x): '"
                    + name + "': " + e.getMessage(), e);
        }
        if (parsed.isPattern()) {
            throw new IllegalArgumentException("jmxName must name one MBean, not a pattern: '"
                    + name + "'");
        }
        this.jmxName = parsed;
        return this;
    }

    /**
     * Checks the configuration, opens the invalidation source (cached mode), registers the
     * MBean (when a {@link #jmxName} was given) and returns the cache.
     *
     * @return a new cache, which the caller closes
     * @throws IllegalStateException naming the missing or conflicting parameters, when the
     *     {@link #jmxName} is already registered (the cache and its source are closed then), or
     *     when the source given to {@link #invalidationSource(InvalidationSource)} was taken by
     *     an earlier {@code build()}
     */
    public RegistrationCache build() {
        if (openSource == null) {
            return buildAndRegister();
        }
        if (openSourceTaken) {
            throw new IllegalStateException("the source given to"
                    + " invalidationSource(InvalidationSource) was taken by an earlier build()"
                    + " (its cache owns it; a failed build closed it): give each cache its own"
                    + " source, or an opener such as UmmunotifyInvalidationSource::open");
        }
        openSourceTaken = true;
        try {
            return buildAndRegister();
        } catch (RuntimeException | Error e) {
            try {
                openSource.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private RegistrationCache buildAndRegister() {
        RegistrationCache cache = buildCache();
        if (jmxName == null) {
            return cache;
        }
        try {
            return JmxRegisteredCache.register(cache, jmxName);
        } catch (RuntimeException | Error e) {
            try {
                cache.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private RegistrationCache buildCache() {
        if (registrar == null) {
            throw new IllegalStateException("registrar is required");
        }
        if (uncached) {
            return buildUncached();
        }
        if (maxPinnedBytes < 0) {
            throw new IllegalStateException("maxPinnedBytes is required for a caching cache"
                    + " (or choose uncached())");
        }
        if (maxPinnedBytes < pageSize) {
            throw new IllegalStateException("maxPinnedBytes (" + maxPinnedBytes
                    + ") must be at least pageSize (" + pageSize + ")");
        }
        long entries = maxEntries < 0 ? DEFAULT_MAX_ENTRIES : maxEntries;
        if (unsafeWithoutInvalidation) {
            if (invalidationSource != null || openSource != null) {
                throw new IllegalStateException("invalidationSource and"
                        + " unsafeWithoutInvalidationForDemonstration() exclude each other");
            }
            LOG.warn("building a registration cache WITHOUT invalidation: it returns stale"
                    + " registrations after memory changes; for demonstrations and tests only");
            return CachingRegistrationCache.start(registrar, new NoInvalidationSource(),
                    pageSize, maxPinnedBytes, entries);
        }
        if (invalidationSource == null && openSource == null) {
            throw new IllegalStateException("invalidationSource is required for a caching cache:"
                    + " use regcache-ummu's UmmunotifyInvalidationSource::open, or choose"
                    + " uncached()");
        }
        InvalidationSource source = openSource != null ? openSource
                : Objects.requireNonNull(invalidationSource.get(),
                        "invalidationSource supplier returned null");
        try {
            return CachingRegistrationCache.start(registrar, source, pageSize, maxPinnedBytes,
                    entries);
        } catch (RuntimeException | Error e) {
            try {
                source.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private RegistrationCache buildUncached() {
        if (unsafeWithoutInvalidation) {
            throw new IllegalStateException(
                    "uncached() and unsafeWithoutInvalidationForDemonstration() exclude each other");
        }
        if (invalidationSource != null || openSource != null) {
            throw new IllegalStateException("invalidationSource has no use in uncached() mode");
        }
        if (maxPinnedBytes >= 0 || maxEntries >= 0) {
            throw new IllegalStateException("maxPinnedBytes and maxEntries have no use in"
                    + " uncached() mode: nothing is cached");
        }
        return new UncachedRegistrationCache(registrar, pageSize);
    }
}
