/*
 * Device contexts and protection domains. Java never opens a device: it takes the context
 * librdmacm opened for a cm id (shared by all ids on that device, so cmd_fd, which Java
 * uses as the device's key, is stable) and allocates its protection domains there.
 */
#include <errno.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "disni.h"

#define JNI_DEV(name) Java_com_ibm_disni_verbs_impl_NativeDispatcher__1##name

/* The device context of a bound or resolved id, or -1 (no exception) if it has none yet. */
JNIEXPORT jlong JNICALL JNI_DEV(getContext)(JNIEnv *env, jobject self UNUSED, jlong id_handle)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id) {
		disni_throw(env, "j2c::getContext: cm_listen_id null");
		return DISNI_NONE;
	}
	return id->verbs ? disni_handle(id->verbs) : DISNI_NONE;
}

JNIEXPORT jint JNICALL JNI_DEV(getContextFd)(JNIEnv *env, jobject self UNUSED,
					     jlong context_handle)
{
	struct ibv_context *context = disni_ptr(context_handle);

	if (!context) {
		disni_throw(env, "j2c::getContextFd: failed, ibv_context null");
		return -1;
	}
	return context->cmd_fd;
}

JNIEXPORT jint JNICALL JNI_DEV(getContextNumCompVectors)(JNIEnv *env, jobject self UNUSED,
							 jlong context_handle)
{
	struct ibv_context *context = disni_ptr(context_handle);

	if (!context) {
		disni_throw(env, "j2c::getContextNumCompVectors: failed, ibv_context null");
		return -1;
	}
	return context->num_comp_vectors;
}

/*
 * On-demand-paging capabilities for RC QPs (IBV_ODP_SUPPORT_SEND 1, RECV 2, WRITE 4, READ 8,
 * ATOMIC 16, as DiSNI's IbvContext constants), or -1 if the device has no ODP or cannot be
 * queried. Never throws.
 */
JNIEXPORT jint JNICALL JNI_DEV(queryOdpSupport)(JNIEnv *env UNUSED, jobject self UNUSED,
						jlong context_handle)
{
	struct ibv_context *context = disni_ptr(context_handle);
	struct ibv_device_attr_ex attr;

	if (!context)
		return -1;
	if (ibv_query_device_ex(context, NULL, &attr) != 0)
		return -1;
	if (!(attr.odp_caps.general_caps & IBV_ODP_SUPPORT))
		return -1;
	return (jint)attr.odp_caps.per_transport_caps.rc_odp_caps;
}

JNIEXPORT jlong JNICALL JNI_DEV(allocPd)(JNIEnv *env, jobject self UNUSED,
					 jlong context_handle)
{
	struct ibv_context *context = disni_ptr(context_handle);
	struct ibv_pd *pd;

	if (!context) {
		disni_throw(env, "j2c::allocPd: context null");
		return DISNI_NONE;
	}
	pd = ibv_alloc_pd(context);
	if (!pd) {
		disni_throw_errno(env, "j2c::allocPd: ibv_alloc_pd failed", errno);
		return DISNI_NONE;
	}
	return disni_handle(pd);
}

/* Returns ibv_dealloc_pd's code (EBUSY while memory regions or QPs still use the PD). */
JNIEXPORT jint JNICALL JNI_DEV(deallocPd)(JNIEnv *env UNUSED, jobject self UNUSED,
					  jlong pd_handle)
{
	struct ibv_pd *pd = disni_ptr(pd_handle);

	if (!pd)
		return -1;
	return ibv_dealloc_pd(pd);
}

JNIEXPORT jint JNICALL JNI_DEV(getPdHandle)(JNIEnv *env, jobject self UNUSED, jlong pd_handle)
{
	struct ibv_pd *pd = disni_ptr(pd_handle);

	if (!pd) {
		disni_throw(env, "j2c::getPdHandle: failed, pd null");
		return -1;
	}
	return (jint)pd->handle;
}
