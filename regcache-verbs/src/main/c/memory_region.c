/* Memory regions: registration, deregistration and prefetch. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "disni.h"

#define JNI_MR(name) Java_com_ibm_disni_verbs_impl_NativeDispatcher__1##name

static void store_u32(jlong addr, uint32_t value)
{
	memcpy(disni_ptr(addr), &value, sizeof(value));
}

/*
 * Registers [addr, addr + length) with the access flags passed through unchanged (DiSNI's
 * IBV_ACCESS_* values are rdma-core's), stores lkey, rkey and the kernel handle as u32 at
 * the three output addresses and returns the ibv_mr.
 */
JNIEXPORT jlong JNICALL JNI_MR(regMr)(JNIEnv *env, jobject self UNUSED, jlong pd_handle,
				      jlong addr, jint length, jint access, jlong lkey_out,
				      jlong rkey_out, jlong handle_out)
{
	struct ibv_pd *pd = disni_ptr(pd_handle);
	struct ibv_mr *mr;
	char message[96];

	if (!pd) {
		disni_throw(env, "j2c::regMr: protection null");
		return DISNI_NONE;
	}
	if (length < 0) {
		snprintf(message, sizeof(message), "j2c::regMr: negative length %d", (int)length);
		disni_throw(env, message);
		return DISNI_NONE;
	}
	if (!disni_ptr(lkey_out) || !disni_ptr(rkey_out) || !disni_ptr(handle_out)) {
		disni_throw(env, "j2c::regMr: output address null");
		return DISNI_NONE;
	}
	mr = ibv_reg_mr(pd, (void *)(intptr_t)addr, (size_t)length, access);
	if (!mr) {
		disni_throw_errno(env, "j2c::regMr: ibv_reg_mr failed", errno);
		return DISNI_NONE;
	}
	store_u32(lkey_out, mr->lkey);
	store_u32(rkey_out, mr->rkey);
	store_u32(handle_out, mr->handle);
	return disni_handle(mr);
}

JNIEXPORT void JNICALL JNI_MR(deregMr)(JNIEnv *env, jobject self UNUSED, jlong mr_handle)
{
	struct ibv_mr *mr = disni_ptr(mr_handle);
	int ret;

	if (!mr) {
		disni_throw(env, "j2c::deregMr: mr null");
		return;
	}
	ret = ibv_dereg_mr(mr);
	if (ret != 0)
		disni_throw_errno(env, "j2c::deregMr: ibv_dereg_mr failed", ret);
}

/*
 * Asks the device to fault in [addr, addr + length) of an on-demand-paging MR for writing
 * (ibv_advise_mr, synchronous). Returns 0; throws with the device's error otherwise, e.g.
 * "Operation not supported" on devices without ODP.
 */
JNIEXPORT jint JNICALL JNI_MR(expPrefetchMr)(JNIEnv *env, jobject self UNUSED,
					     jlong mr_handle, jlong addr, jint length)
{
	struct ibv_mr *mr = disni_ptr(mr_handle);
	struct ibv_sge range;
	char message[96];
	int ret;

	if (!mr) {
		disni_throw(env, "j2c::expPrefetchMr: mr null");
		return -1;
	}
	if (length < 0) {
		snprintf(message, sizeof(message), "j2c::expPrefetchMr: negative length %d",
			 (int)length);
		disni_throw(env, message);
		return -1;
	}
	range.addr = (uint64_t)addr;
	range.length = (uint32_t)length;
	range.lkey = mr->lkey;
	ret = ibv_advise_mr(mr->pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, IBV_ADVISE_MR_FLAG_FLUSH,
			    &range, 1);
	if (ret != 0) {
		disni_throw_errno(env, "j2c::expPrefetchMr: ibv_advise_mr failed", ret);
		return -1;
	}
	return 0;
}
