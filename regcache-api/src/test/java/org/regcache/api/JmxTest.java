package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** {@link RegistrationCacheBuilder#jmxName}: the stats as seen by a JMX client. */
class JmxTest extends CacheFixture {
    private static final String NAME = "org.regcache.test:type=RegistrationCache,name=jmx-test";
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    private RegistrationCache namedCache(String name) {
        return RegistrationCache.builder()
                .registrar(registrar)
                .invalidationSource(() -> source)
                .maxPinnedBytes(64 * MIB)
                .jmxName(name)
                .build();
    }

    private long attribute(String name) throws Exception {
        return (Long) server.getAttribute(new ObjectName(NAME), name);
    }

    @Test
    void registeredAtBuildWithEveryStatistic() throws Exception {
        try (RegistrationCache cache = namedCache(NAME)) {
            ObjectName name = new ObjectName(NAME);
            assertTrue(server.isRegistered(name));
            Set<String> attributes = Arrays.stream(server.getMBeanInfo(name).getAttributes())
                    .map(MBeanAttributeInfo::getName).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(Set.of("HitRate", "Hits", "Misses", "RegisterCalls",
                    "DeregisterCalls", "InvalidationsReceived", "InvalidatedEntries",
                    "CapacityEvictions", "ExplicitEvictions", "PinnedBytes", "PinnedEntries",
                    "DetachedInUseEntries", "DetachedInUseBytes", "SkipsSamePageInvalidations",
                    "EventRingInUse", "DrainsFromRing", "DrainsWithRead")),
                    attributes);
            assertTrue(Arrays.stream(server.getMBeanInfo(name).getAttributes())
                    .noneMatch(MBeanAttributeInfo::isWritable), "read-only");
            assertEquals(1.0, server.getAttribute(name, "HitRate"), "no acquire yet");
            assertEquals(false, server.getAttribute(name, "SkipsSamePageInvalidations"));
            assertEquals(false, server.getAttribute(name, "EventRingInUse"));
            assertEquals(0L, server.getAttribute(name, "DrainsFromRing"));
            assertEquals(0L, server.getAttribute(name, "DrainsWithRead"));
        }
    }

    @Test
    void valuesFollowTheCache() throws Exception {
        try (RegistrationCache cache = namedCache(NAME)) {
            ObjectName name = new ObjectName(NAME);
            cache.acquire(0x100000, MIB, LOCAL_WRITE).close();
            RegistrationHandle inUse = cache.acquire(0x100000, PAGE, LOCAL_WRITE);
            cache.acquire(0x100000 + PAGE, PAGE, NONE).close();
            cache.acquire(0x100000 + 2 * PAGE, PAGE, NONE).close();
            assertEquals(3L, attribute("Hits"));
            assertEquals(1L, attribute("Misses"));
            assertEquals(0.75, (Double) server.getAttribute(name, "HitRate"), 1e-9);
            assertEquals(MIB, attribute("PinnedBytes"));
            assertEquals(1L, attribute("PinnedEntries"));
            assertEquals(1L, attribute("RegisterCalls"));

            unmap(0x100000 + 8 * PAGE, PAGE);
            cache.acquire(0x900000, PAGE, NONE).close(); // drains the invalidation
            assertEquals(1L, attribute("InvalidationsReceived"));
            assertEquals(1L, attribute("InvalidatedEntries"));
            assertEquals(1L, attribute("DetachedInUseEntries"), "invalidated while in use");
            assertEquals(MIB, attribute("DetachedInUseBytes"));
            inUse.close();
            assertEquals(0L, attribute("DetachedInUseEntries"));
            assertEquals(1L, attribute("DeregisterCalls"));

            cache.flushIdle();
            assertEquals(1L, attribute("ExplicitEvictions"));
            assertEquals(0L, attribute("CapacityEvictions"));
            assertEquals(0L, attribute("PinnedBytes"));
            assertEquals(0L, attribute("PinnedEntries"));
        }
    }

    @Test
    void unregisteredAtCloseAndTheNameIsFreeAgain() throws Exception {
        ObjectName name = new ObjectName(NAME);
        RegistrationCache cache = namedCache(NAME);
        cache.close();
        assertFalse(server.isRegistered(name));
        cache.close(); // idempotent, nothing left to unregister
        try (RegistrationCache again = namedCache(NAME)) {
            assertTrue(server.isRegistered(name));
        }
        assertFalse(server.isRegistered(name));
    }

    @Test
    void aDuplicateNameFailsTheBuildAndClosesWhatItOpened() throws Exception {
        try (RegistrationCache first = namedCache(NAME)) {
            FakeInvalidationSource second = new FakeInvalidationSource();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RegistrationCache.builder().registrar(registrar)
                            .invalidationSource(() -> second).maxPinnedBytes(MIB)
                            .jmxName(NAME).build());
            assertTrue(e.getMessage().contains("already registered"), e.getMessage());
            assertTrue(e.getMessage().contains(NAME), e.getMessage());
            assertTrue(second.closed, "the second cache's source is closed");
            assertTrue(server.isRegistered(new ObjectName(NAME)), "the first stays registered");
            first.acquire(0x100000, PAGE, NONE).close();
            assertEquals(1L, attribute("Misses"), "and it still shows the first cache");
        }
    }

    @Test
    void badNamesAreRefusedBeforeAnythingIsBuilt() {
        RegistrationCacheBuilder builder = RegistrationCache.builder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.jmxName("no colon"));
        assertTrue(e.getMessage().contains("not a JMX object name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> builder.jmxName("org.regcache:type=RegistrationCache,*"));
        assertTrue(e.getMessage().contains("pattern"), e.getMessage());
        assertThrows(NullPointerException.class, () -> builder.jmxName(null));
    }

    @Test
    void theUncachedCacheIsVisibleToo() throws Exception {
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .uncached().jmxName(NAME).build()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            assertEquals(1L, attribute("Misses"));
            assertEquals(0.0, (Double) server.getAttribute(new ObjectName(NAME), "HitRate"));
        }
        assertFalse(server.isRegistered(new ObjectName(NAME)));
    }
}
