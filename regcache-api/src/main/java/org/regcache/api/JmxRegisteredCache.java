package org.regcache.api;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cache whose {@link RegistrationCacheMBean} is registered with the platform MBean server
 * under the name given to {@link RegistrationCacheBuilder#jmxName(String)}; every call goes to
 * the cache, and {@link #close()} also unregisters the MBean. Only caches built with a JMX name
 * are wrapped, so the others pay nothing for it.
 */
final class JmxRegisteredCache implements RegistrationCache {
    private static final Logger LOG = LoggerFactory.getLogger(JmxRegisteredCache.class);

    private final RegistrationCache cache;
    private final MBeanServer server;
    private final ObjectName name;
    private final AtomicBoolean unregistered = new AtomicBoolean();

    private JmxRegisteredCache(RegistrationCache cache, MBeanServer server, ObjectName name) {
        this.cache = cache;
        this.server = server;
        this.name = name;
    }

    /**
     * Registers {@code cache}'s MBean under {@code name} and returns the wrapped cache. On
     * failure {@code cache} is left as it was (the caller closes it).
     *
     * @throws IllegalStateException when {@code name} is taken, or the server refuses the MBean
     */
    static RegistrationCache register(RegistrationCache cache, ObjectName name) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.registerMBean(new StandardMBean(new CacheStatsView(cache),
                    RegistrationCacheMBean.class), name);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException("JMX name " + name + " is already registered with"
                    + " the platform MBean server (by another cache not closed yet?): give each"
                    + " cache its own jmxName, e.g. a different name= key", e);
        } catch (JMException | RuntimeException e) {
            throw new IllegalStateException("cannot register the cache's MBean as " + name
                    + ": " + e, e);
        }
        return new JmxRegisteredCache(cache, server, name);
    }

    @Override
    public RegistrationHandle acquire(long address, long length, Set<Access> access)
            throws RegistrationException {
        return cache.acquire(address, length, access);
    }

    @Override
    public int invalidate(long address, long length) {
        return cache.invalidate(address, length);
    }

    @Override
    public int flushIdle() {
        return cache.flushIdle();
    }

    @Override
    public CacheStats stats() {
        return cache.stats();
    }

    /** Closes the cache, then unregisters its MBean (once; idempotent as the cache). */
    @Override
    public void close() {
        try {
            cache.close();
        } finally {
            if (unregistered.compareAndSet(false, true)) {
                unregister();
            }
        }
    }

    private void unregister() {
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException e) {
            LOG.warn("the MBean {} of a closing registration cache was already unregistered"
                    + " by someone else", name);
        } catch (JMException e) {
            LOG.warn("cannot unregister the MBean {} of a closing registration cache", name, e);
        }
    }

    @Override
    public String toString() {
        return cache + " (JMX " + name + ")";
    }
}
