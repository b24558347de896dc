/*
 * libdisni: the JNI library DiSNI 2.1 loads with System.loadLibrary("disni"), re-implemented
 * against rdma-core (libibverbs, librdmacm). Specification: the "libdisni native contract".
 *
 * Conventions shared by every file:
 *  - Handles are raw rdma-core pointers as jlong; -1 (DISNI_NONE) means "failed" or "none".
 *    A handle <= 0 is treated as NULL.
 *  - Every other jlong address points into Java-owned direct memory that Java may reuse as
 *    soon as the call returns: it is read or written during the call and never kept.
 *  - Throwing entry points raise java.io.IOException with "<prefix>: <strerror> (errno N)"
 *    and return at once; status entry points return rdma-core's code (-1 for NULL).
 *  - No global mutable state: every entry point may run concurrently on any thread.
 */
#ifndef DISNI_H
#define DISNI_H

#include <jni.h>
#include <stdint.h>

#include "com_ibm_disni_verbs_impl_NativeDispatcher.h"
#include "com_ibm_disni_util_NativeAffinity.h"

#define UNUSED __attribute__((unused))

/* The failure / "no object" value of every handle-returning entry point. */
#define DISNI_NONE ((jlong)-1)

/* Pointer held by a handle or Java address, NULL for 0 and for negative values. */
static inline void *disni_ptr(jlong value)
{
	return value > 0 ? (void *)(intptr_t)value : NULL;
}

static inline jlong disni_handle(const void *ptr)
{
	return (jlong)(intptr_t)ptr;
}

/* Raise IOException(message). */
void disni_throw(JNIEnv *env, const char *message);

/* Raise IOException("<prefix>: <strerror(err)> (errno <err>)"). */
void disni_throw_errno(JNIEnv *env, const char *prefix, int err);

/* Make fd non-blocking; 0 or -1 with errno set. */
int disni_set_nonblocking(int fd);

/*
 * Wait until fd is readable: 1 if it is, 0 on timeout, -1 on error or interruption
 * (callers treat both as "nothing yet"). timeout_ms < 0 waits forever.
 */
int disni_wait_readable(int fd, int timeout_ms);

#endif /* DISNI_H */
