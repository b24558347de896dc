/*
 * com.ibm.disni.util.NativeAffinity: CPU affinity of the calling thread, as a 64-bit mask
 * of CPUs 0..63.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "disni.h"

#define JNI_AFFINITY(name) Java_com_ibm_disni_util_NativeAffinity__1##name
#define AFFINITY_MASK_CPUS 64

JNIEXPORT jlong JNICALL JNI_AFFINITY(getAffinity)(JNIEnv *env UNUSED, jclass clazz UNUSED)
{
	cpu_set_t set;
	uint64_t mask = 0;
	int cpu;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return (jlong)~UINT64_C(0);
	for (cpu = 0; cpu < AFFINITY_MASK_CPUS; cpu++)
		if (CPU_ISSET(cpu, &set))
			mask |= UINT64_C(1) << cpu;
	return (jlong)mask;
}

/* Errors are ignored, as in DiSNI: the Java method declares no exception. */
JNIEXPORT void JNICALL JNI_AFFINITY(setAffinity)(JNIEnv *env UNUSED, jclass clazz UNUSED,
						 jlong mask)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < AFFINITY_MASK_CPUS; cpu++)
		if ((uint64_t)mask & (UINT64_C(1) << cpu))
			CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}
