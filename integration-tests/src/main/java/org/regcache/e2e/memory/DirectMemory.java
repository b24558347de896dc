package org.regcache.e2e.memory;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees a direct ByteBuffer's memory at once (sun.misc.Unsafe.invokeCleaner, JDK 9+), as
 * frameworks that pool direct buffers do, instead of waiting for the garbage collector.
 */
final class DirectMemory {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            UNSAFE = field.get(null);
            INVOKE_CLEANER = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("sun.misc.Unsafe.invokeCleaner is not"
                    + " available in this JVM: " + e);
        }
    }

    private DirectMemory() {
    }

    /** Frees {@code buffer}'s memory; the buffer must not be used afterwards. */
    static void free(ByteBuffer buffer) {
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot free a direct buffer", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("freeing a direct buffer failed", e.getCause());
        }
    }
}
