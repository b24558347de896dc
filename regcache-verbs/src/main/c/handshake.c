/*
 * The start-up handshake of DiSNI's NativeDispatcher: the interface version, and the sizes
 * and offsets of the structures Java serialises itself. Java adopts these values, so they
 * must be the true ones of the rdma-core headers this library is compiled against.
 */
#include <stddef.h>
#include <netinet/in.h>
#include <infiniband/verbs.h>

#include "disni.h"

#define JNI_HANDSHAKE(name) Java_com_ibm_disni_verbs_impl_NativeDispatcher__1##name

/* The JNI interface version DiSNI 2.1 requires (NativeDispatcher.JVERBS_VERSION). */
#define DISNI_JVERBS_VERSION 32

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getVersion)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return DISNI_JVERBS_VERSION;
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getSockAddrInSize)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return sizeof(struct sockaddr_in);
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getIbvRecvWRSize)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return sizeof(struct ibv_recv_wr);
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getIbvSendWRSize)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return sizeof(struct ibv_send_wr);
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getIbvWCSize)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return sizeof(struct ibv_wc);
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getIbvSgeSize)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return sizeof(struct ibv_sge);
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getRemoteAddressOffset)(JNIEnv *env UNUSED,
							     jobject self UNUSED)
{
	return offsetof(struct ibv_send_wr, wr.rdma.remote_addr);
}

JNIEXPORT jint JNICALL JNI_HANDSHAKE(getRKeyOffset)(JNIEnv *env UNUSED, jobject self UNUSED)
{
	return offsetof(struct ibv_send_wr, wr.rdma.rkey);
}
