package org.regcache.e2e.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether the JIT compiler is still at work, from the JVM's own account of the time its
 * compiler threads spent ({@link CompilationMXBean#getTotalCompilationTime()}). In the QEMU
 * guest the compiler threads share the emulated CPU with the program (one TCG thread for
 * both vCPUs): a timing taken while they compile measures the emulator's sharing, not the code.
 */
final class JitActivity {
    private final CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();

    /** {@return whether this JVM reports its compilation time} */
    boolean observable() {
        return compiler != null && compiler.isCompilationTimeMonitoringSupported();
    }

    /** {@return the compiler threads' time so far, in milliseconds; 0 if not observable} */
    long compiledMillis() {
        return observable() ? compiler.getTotalCompilationTime() : 0;
    }
}
