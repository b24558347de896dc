package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The builder names the bad parameter and never leaks an opened source. */
class RegistrationCacheBuilderTest {
    private final Registrar registrar = mock(Registrar.class);

    private static String message(Class<? extends Throwable> type, Runnable r) {
        return assertThrows(type, r::run).getMessage();
    }

    @Test
    void eachBadParameterIsNamed() {
        RegistrationCacheBuilder b = RegistrationCache.builder();
        assertEquals("registrar", message(NullPointerException.class, () -> b.registrar(null)));
        assertTrue(message(IllegalArgumentException.class, () -> b.maxPinnedBytes(0))
                .startsWith("maxPinnedBytes"));
        assertTrue(message(IllegalArgumentException.class, () -> b.maxEntries(-1))
                .startsWith("maxEntries"));
        assertTrue(message(IllegalArgumentException.class, () -> b.pageSize(3000))
                .startsWith("pageSize"));
        assertTrue(message(IllegalArgumentException.class, () -> b.pageSize(2048))
                .startsWith("pageSize"));
        assertEquals("invalidationSource", message(NullPointerException.class,
                () -> b.invalidationSource((Supplier<InvalidationSource>) null)));
        assertEquals("invalidationSource", message(NullPointerException.class,
                () -> b.invalidationSource((InvalidationSource) null)));
    }

    @Test
    void missingOrConflictingParametersAreNamedAtBuild() {
        assertTrue(message(IllegalStateException.class,
                () -> RegistrationCache.builder().build()).startsWith("registrar"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).invalidationSource(FakeInvalidationSource::new).build())
                .startsWith("maxPinnedBytes"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).maxPinnedBytes(1 << 20).build())
                .startsWith("invalidationSource"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).maxPinnedBytes(100).invalidationSource(
                        FakeInvalidationSource::new).build()).contains("pageSize"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).uncached().maxPinnedBytes(1 << 20).build())
                .contains("uncached"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).uncached().invalidationSource(FakeInvalidationSource::new)
                .build()).contains("uncached"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).uncached().unsafeWithoutInvalidationForDemonstration()
                .build()).contains("exclude"));
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).maxPinnedBytes(1 << 20)
                .unsafeWithoutInvalidationForDemonstration()
                .invalidationSource(FakeInvalidationSource::new).build()).contains("exclude"));
        assertEquals("invalidationSource supplier returned null",
                message(NullPointerException.class, () -> RegistrationCache.builder()
                        .registrar(registrar).maxPinnedBytes(1 << 20)
                        .invalidationSource(() -> null).build()));
    }

    @Test
    void openerFailurePropagatesUnchanged() {
        IllegalStateException noDevice = new IllegalStateException("no device");
        assertEquals(noDevice, assertThrows(IllegalStateException.class,
                () -> RegistrationCache.builder().registrar(registrar).maxPinnedBytes(1 << 20)
                        .invalidationSource(() -> {
                            throw noDevice;
                        }).build()));
    }

    @Test
    void sourceThatFailsToStartIsClosed() {
        InvalidationSource source = mock(InvalidationSource.class);
        doThrow(new IllegalStateException("start failed")).when(source).start(any());
        assertThrows(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).maxPinnedBytes(1 << 20).invalidationSource(() -> source)
                .build());
        verify(source).close();
    }

    @Test
    void cacheStartsAndClosesItsSource() {
        InvalidationSource source = mock(InvalidationSource.class);
        RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .maxPinnedBytes(1 << 20).invalidationSource(() -> source).build();
        verify(source).start(any());
        cache.close();
        verify(source).close();
    }

    @Test
    void unsafeModeCachesWithoutAnySource() throws Exception {
        FakeRegistrar fake = new FakeRegistrar();
        try (RegistrationCache cache = RegistrationCache.builder().registrar(fake)
                .maxPinnedBytes(1 << 20).unsafeWithoutInvalidationForDemonstration().build()) {
            cache.acquire(0x1000, 1, CacheFixture.NONE).close();
            fake.changeMemory(0x1000, 1);
            try (RegistrationHandle h = cache.acquire(0x1000, 1, CacheFixture.NONE)) {
                assertEquals(1, fake.registers.get(), "stale hit: that is the point");
                assertTrue(!CacheFixture.fake(h).isCurrent(fake, 0x1000, 1));
            }
        }
    }

    @Test
    void aSourceGivenOpenIsStartedAndClosedByTheCache() {
        FakeInvalidationSource source = new FakeInvalidationSource();
        RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .maxPinnedBytes(1 << 20).invalidationSource(source).build();
        assertTrue(source.started, "started by build()");
        assertFalse(source.closed);
        cache.close();
        assertTrue(source.closed, "closed with the cache");
    }

    @Test
    void aSourceGivenOpenIsClosedByAFailedBuild() {
        InvalidationSource source = mock(InvalidationSource.class);
        assertTrue(message(IllegalStateException.class, () -> RegistrationCache.builder()
                .registrar(registrar).invalidationSource(source).build())
                .startsWith("maxPinnedBytes"));
        verify(source).close();
        verify(source, never()).start(any());
    }

    @Test
    void aSourceGivenOpenServesOneCacheOnly() {
        InvalidationSource source = mock(InvalidationSource.class);
        RegistrationCacheBuilder builder = RegistrationCache.builder().registrar(registrar)
                .maxPinnedBytes(1 << 20).invalidationSource(source);
        try (RegistrationCache first = builder.build()) {
            assertTrue(message(IllegalStateException.class, builder::build)
                    .contains("taken by an earlier build()"));
            verify(source).start(any());
            verify(source, never()).close();
        }
        verify(source).close();
    }

    @Test
    void theLastSourceSetterWins() {
        InvalidationSource given = mock(InvalidationSource.class);
        InvalidationSource opened = mock(InvalidationSource.class);
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .maxPinnedBytes(1 << 20).invalidationSource(given)
                .invalidationSource(() -> opened).build()) {
            verify(opened).start(any());
            verify(given, never()).start(any());
        }
        FakeInvalidationSource last = new FakeInvalidationSource();
        Supplier<InvalidationSource> unused = () -> {
            throw new AssertionError("replaced");
        };
        RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .maxPinnedBytes(1 << 20).invalidationSource(unused).invalidationSource(last)
                .build();
        assertTrue(last.started);
        cache.close();
        assertTrue(last.closed);
    }
}
