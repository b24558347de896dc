/*
 * Completion channels and completion queues: creation, the event wait of DiSNI's CQ
 * processor threads (getCqEvent -> ackCqEvent -> reqNotifyCQ -> pollCQ) and polling.
 */
#include <errno.h>
#include <infiniband/verbs.h>

#include "disni.h"

#define JNI_CQ(name) Java_com_ibm_disni_verbs_impl_NativeDispatcher__1##name

JNIEXPORT jlong JNICALL JNI_CQ(createCompChannel)(JNIEnv *env, jobject self UNUSED,
						  jlong context_handle)
{
	struct ibv_context *context = disni_ptr(context_handle);
	struct ibv_comp_channel *channel;
	int err;

	if (!context) {
		disni_throw(env, "j2c::createCompChannel: context null");
		return DISNI_NONE;
	}
	channel = ibv_create_comp_channel(context);
	if (!channel) {
		disni_throw_errno(env, "j2c::createCompChannel: ibv_create_comp_channel failed",
				  errno);
		return DISNI_NONE;
	}
	if (disni_set_nonblocking(channel->fd) != 0) {
		err = errno;
		ibv_destroy_comp_channel(channel);
		disni_throw_errno(env, "j2c::createCompChannel: setting O_NONBLOCK failed", err);
		return DISNI_NONE;
	}
	return disni_handle(channel);
}

/* Returns the code of ibv_destroy_comp_channel (EBUSY while a CQ still uses the channel). */
JNIEXPORT jint JNICALL JNI_CQ(destroyCompChannel)(JNIEnv *env UNUSED, jobject self UNUSED,
						  jlong channel_handle)
{
	struct ibv_comp_channel *channel = disni_ptr(channel_handle);

	if (!channel)
		return -1;
	return ibv_destroy_comp_channel(channel);
}

/* DiSNI always attaches its CQs to a completion channel, so both handles are required. */
JNIEXPORT jlong JNICALL JNI_CQ(createCQ)(JNIEnv *env, jobject self UNUSED, jlong context_handle,
					 jlong channel_handle, jint entries, jint comp_vector)
{
	struct ibv_context *context = disni_ptr(context_handle);
	struct ibv_comp_channel *channel = disni_ptr(channel_handle);
	struct ibv_cq *cq;

	if (!context || !channel) {
		disni_throw(env, "j2c::createCQ: context or comp_channel null");
		return DISNI_NONE;
	}
	cq = ibv_create_cq(context, entries, NULL, channel, comp_vector);
	if (!cq) {
		disni_throw_errno(env, "j2c::createCQ: ibv_create_cq failed", errno);
		return DISNI_NONE;
	}
	return disni_handle(cq);
}

/* Returns ibv_destroy_cq's code; every delivered CQ event must have been acked before. */
JNIEXPORT jint JNICALL JNI_CQ(destroyCQ)(JNIEnv *env UNUSED, jobject self UNUSED,
					 jlong cq_handle)
{
	struct ibv_cq *cq = disni_ptr(cq_handle);

	if (!cq)
		return -1;
	return ibv_destroy_cq(cq);
}

/*
 * Waits up to timeout_ms for a completion event on the channel and consumes it (not acked:
 * Java calls ackCqEvent). Returns 0 for an event, -1 on timeout or error. DiSNI uses one CQ
 * per channel, so the CQ is not reported.
 */
JNIEXPORT jint JNICALL JNI_CQ(getCqEvent)(JNIEnv *env, jobject self UNUSED,
					  jlong channel_handle, jint timeout_ms)
{
	struct ibv_comp_channel *channel = disni_ptr(channel_handle);
	struct ibv_cq *cq;
	void *cq_context;

	if (!channel) {
		disni_throw(env, "j2c::getCqEvent: comp_channel null");
		return -1;
	}
	if (disni_wait_readable(channel->fd, timeout_ms) <= 0)
		return -1;
	return ibv_get_cq_event(channel, &cq, &cq_context) == 0 ? 0 : -1;
}

/*
 * Acknowledges nevents events of the CQ. ibv_destroy_cq waits until acks equal deliveries,
 * so a negative count (which would wrap around) is refused with -1.
 */
JNIEXPORT jint JNICALL JNI_CQ(ackCqEvent)(JNIEnv *env UNUSED, jobject self UNUSED,
					  jlong cq_handle, jint nevents)
{
	struct ibv_cq *cq = disni_ptr(cq_handle);

	if (!cq || nevents < 0)
		return -1;
	ibv_ack_cq_events(cq, (unsigned int)nevents);
	return 0;
}

JNIEXPORT jint JNICALL JNI_CQ(reqNotifyCQ)(JNIEnv *env, jobject self UNUSED, jlong cq_handle,
					   jint solicited_only)
{
	struct ibv_cq *cq = disni_ptr(cq_handle);

	if (!cq) {
		disni_throw(env, "j2c::reqNotify: completionqueue null");
		return -1;
	}
	return ibv_req_notify_cq(cq, solicited_only);
}

/*
 * Polls up to max_entries completions into Java's array of native struct ibv_wc (stride
 * sizeof(struct ibv_wc), as told in the handshake). Returns the count, or < 0 on error.
 */
JNIEXPORT jint JNICALL JNI_CQ(pollCQ)(JNIEnv *env, jobject self UNUSED, jlong cq_handle,
				      jint max_entries, jlong wc_list)
{
	struct ibv_cq *cq = disni_ptr(cq_handle);
	struct ibv_wc *wcs = disni_ptr(wc_list);

	if (!cq) {
		disni_throw(env, "j2c::pollCQ: completionqueue null");
		return -1;
	}
	if (!wcs && max_entries > 0) {
		disni_throw(env, "j2c::pollCQ: work completion array null");
		return -1;
	}
	return ibv_poll_cq(cq, max_entries, wcs);
}
