/* Exceptions raised by libdisni: IOException with the rdma-core errno kept in the text. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "disni.h"

void disni_throw(JNIEnv *env, const char *message)
{
	jclass io_exception = (*env)->FindClass(env, "java/io/IOException");

	/* If even the class cannot be found, FindClass left its own error pending. */
	if (!io_exception)
		return;
	(*env)->ThrowNew(env, io_exception, message);
	(*env)->DeleteLocalRef(env, io_exception);
}

void disni_throw_errno(JNIEnv *env, const char *prefix, int err)
{
	char text[128];
	char message[512];
	/* GNU strerror_r: returns a static string or one written into text, thread-safe. */
	const char *reason = strerror_r(err, text, sizeof(text));

	snprintf(message, sizeof(message), "%s: %s (errno %d)", prefix, reason, err);
	disni_throw(env, message);
}
