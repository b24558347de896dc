/*
 * rdma_cm entry points: event channels, connection ids, address and route resolution,
 * connection establishment and teardown, and the CM event loop.
 *
 * Java identifies an rdma_cm_id by its pointer value everywhere (it keys its per-channel id
 * map by it), so the same id is always reported as the same handle.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <rdma/rdma_cma.h>

#include "disni.h"

#define JNI_CM(name) Java_com_ibm_disni_verbs_impl_NativeDispatcher__1##name

/* The only port space DiSNI uses: reliable connected QPs. */
#define DISNI_PORT_SPACE RDMA_PS_TCP

/*
 * Reads the sockaddr_in Java wrote at addr. Java writes family, port and address only; the
 * rest of its pooled buffer may hold stale bytes, so they are not copied.
 */
static int read_sockaddr_in(JNIEnv *env, const char *prefix, jlong addr,
			    struct sockaddr_in *out)
{
	const void *java_addr = disni_ptr(addr);
	char message[128];

	memset(out, 0, sizeof(*out));
	if (!java_addr) {
		snprintf(message, sizeof(message), "%s: socket address null", prefix);
		disni_throw(env, message);
		return -1;
	}
	memcpy(out, java_addr, offsetof(struct sockaddr_in, sin_zero));
	if (out->sin_family != AF_INET) {
		snprintf(message, sizeof(message),
			 "%s: address family %u not supported, only AF_INET (%d)", prefix,
			 (unsigned int)out->sin_family, AF_INET);
		disni_throw(env, message);
		return -1;
	}
	return 0;
}

/*
 * Connection parameters for rdma_connect/rdma_accept: as many outstanding RDMA READs as the
 * device allows in each direction, the caller's retry counts, and no SRQ.
 */
static int init_conn_param(JNIEnv *env, const char *prefix, struct rdma_cm_id *id,
			   jint retry_count, jint rnr_retry_count,
			   struct rdma_conn_param *param)
{
	struct ibv_device_attr attr;
	char message[160];
	int ret;

	memset(param, 0, sizeof(*param));
	if (!id->verbs) {
		snprintf(message, sizeof(message),
			 "%s: cm id has no device (address not resolved or not bound to an RDMA interface)",
			 prefix);
		disni_throw(env, message);
		return -1;
	}
	ret = ibv_query_device(id->verbs, &attr);
	if (ret != 0) {
		snprintf(message, sizeof(message), "%s: ibv_query_device failed", prefix);
		disni_throw_errno(env, message, ret);
		return -1;
	}
	param->responder_resources = attr.max_qp_rd_atom > UINT8_MAX ?
		UINT8_MAX : (uint8_t)attr.max_qp_rd_atom;
	param->initiator_depth = attr.max_qp_init_rd_atom < param->responder_resources ?
		(uint8_t)attr.max_qp_init_rd_atom : param->responder_resources;
	param->retry_count = (uint8_t)retry_count;
	param->rnr_retry_count = (uint8_t)rnr_retry_count;
	return 0;
}

JNIEXPORT jlong JNICALL JNI_CM(createEventChannel)(JNIEnv *env, jobject self UNUSED)
{
	struct rdma_event_channel *channel = rdma_create_event_channel();
	int err;

	if (!channel) {
		disni_throw_errno(env, "j2c::createEventChannel: rdma_create_event_channel failed",
				  errno);
		return DISNI_NONE;
	}
	if (disni_set_nonblocking(channel->fd) != 0) {
		err = errno;
		rdma_destroy_event_channel(channel);
		disni_throw_errno(env, "j2c::createEventChannel: setting O_NONBLOCK failed", err);
		return DISNI_NONE;
	}
	return disni_handle(channel);
}

JNIEXPORT jint JNICALL JNI_CM(destroyEventChannel)(JNIEnv *env UNUSED, jobject self UNUSED,
						   jlong channel_handle)
{
	struct rdma_event_channel *channel = disni_ptr(channel_handle);

	if (!channel)
		return -1;
	rdma_destroy_event_channel(channel);
	return 0;
}

JNIEXPORT jlong JNICALL JNI_CM(createId)(JNIEnv *env, jobject self UNUSED,
					 jlong channel_handle, jshort port_space)
{
	struct rdma_event_channel *channel = disni_ptr(channel_handle);
	struct rdma_cm_id *id = NULL;
	char message[128];

	if (!channel) {
		disni_throw(env, "j2c::createId: cm_channel is null");
		return DISNI_NONE;
	}
	if ((uint16_t)port_space != DISNI_PORT_SPACE) {
		snprintf(message, sizeof(message),
			 "j2c::createId: port space 0x%x not supported, only RDMA_PS_TCP (0x%x)",
			 (unsigned int)(uint16_t)port_space, DISNI_PORT_SPACE);
		disni_throw(env, message);
		return DISNI_NONE;
	}
	if (rdma_create_id(channel, &id, NULL, DISNI_PORT_SPACE) != 0) {
		disni_throw_errno(env, "j2c::createId: rdma_create_id failed", errno);
		return DISNI_NONE;
	}
	return disni_handle(id);
}

JNIEXPORT jint JNICALL JNI_CM(destroyCmId)(JNIEnv *env UNUSED, jobject self UNUSED,
					   jlong id_handle)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id)
		return -1;
	return rdma_destroy_id(id);
}

/* Destroys the id together with its QP (and SRQ); DiSNI exposes it as RdmaCmId.destroyEp(). */
JNIEXPORT jint JNICALL JNI_CM(destroyEp)(JNIEnv *env UNUSED, jobject self UNUSED,
					 jlong id_handle)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id)
		return -1;
	rdma_destroy_ep(id);
	return 0;
}

JNIEXPORT void JNICALL JNI_CM(bindAddr)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
					jlong addr)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);
	struct sockaddr_in sin;

	if (!id) {
		disni_throw(env, "j2c::bind: cm_listen_id null");
		return;
	}
	if (read_sockaddr_in(env, "j2c::bind", addr, &sin) != 0)
		return;
	if (rdma_bind_addr(id, (struct sockaddr *)&sin) != 0)
		disni_throw_errno(env, "j2c::bind: rdma_bind_addr failed", errno);
}

JNIEXPORT void JNICALL JNI_CM(listen)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
				      jint backlog)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id) {
		disni_throw(env, "j2c::listen: cm_listen_id null");
		return;
	}
	if (rdma_listen(id, backlog) != 0)
		disni_throw_errno(env, "j2c::listen: rdma_listen failed", errno);
}

/* src is honoured when given; DiSNI 2.1 always passes 0 (bind first to choose the source). */
JNIEXPORT void JNICALL JNI_CM(resolveAddr)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
					   jlong src, jlong dst, jint timeout_ms)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);
	struct sockaddr_in src_sin;
	struct sockaddr_in dst_sin;
	struct sockaddr *src_addr = NULL;

	if (!id) {
		disni_throw(env, "j2c::resolveAddr: cm_listen_id null");
		return;
	}
	if (disni_ptr(src)) {
		if (read_sockaddr_in(env, "j2c::resolveAddr: source", src, &src_sin) != 0)
			return;
		src_addr = (struct sockaddr *)&src_sin;
	}
	if (read_sockaddr_in(env, "j2c::resolveAddr: destination", dst, &dst_sin) != 0)
		return;
	if (rdma_resolve_addr(id, src_addr, (struct sockaddr *)&dst_sin, timeout_ms) != 0)
		disni_throw_errno(env, "j2c::resolveAddr: rdma_resolve_addr failed", errno);
}

JNIEXPORT void JNICALL JNI_CM(resolveRoute)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
					    jint timeout_ms)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id) {
		disni_throw(env, "j2c::resolveRoute: cm_listen_id null");
		return;
	}
	if (rdma_resolve_route(id, timeout_ms) != 0)
		disni_throw_errno(env, "j2c::resolveRoute: rdma_resolve_route failed", errno);
}

/*
 * Waits up to timeout_ms for the next CM event, writes its listen id and id (or -1) to the
 * two u64 slots Java passed, acknowledges it at once (rdma_destroy_id waits for every event
 * of its id to be acked, and Java never sees the event itself) and returns its type.
 * Returns -1, writing nothing, on timeout or error. Never throws.
 */
JNIEXPORT jint JNICALL JNI_CM(getCmEvent)(JNIEnv *env UNUSED, jobject self UNUSED,
					  jlong channel_handle, jlong listen_id_out,
					  jlong client_id_out, jint timeout_ms)
{
	struct rdma_event_channel *channel = disni_ptr(channel_handle);
	void *listen_out = disni_ptr(listen_id_out);
	void *client_out = disni_ptr(client_id_out);
	struct rdma_cm_event *event;
	jlong listen_id, client_id;
	jint type;

	if (!channel)
		return -1;
	if (disni_wait_readable(channel->fd, timeout_ms) <= 0)
		return -1;
	if (rdma_get_cm_event(channel, &event) != 0)
		return -1;

	listen_id = event->listen_id ? disni_handle(event->listen_id) : DISNI_NONE;
	client_id = event->id ? disni_handle(event->id) : DISNI_NONE;
	type = (jint)event->event;
	rdma_ack_cm_event(event);

	if (listen_out)
		memcpy(listen_out, &listen_id, sizeof(listen_id));
	if (client_out)
		memcpy(client_out, &client_id, sizeof(client_id));
	return type;
}

/* Events are acknowledged inside getCmEvent; this only completes Java's protocol. */
JNIEXPORT jint JNICALL JNI_CM(ackCmEvent)(JNIEnv *env UNUSED, jobject self UNUSED,
					  jint event_type UNUSED)
{
	return 0;
}

JNIEXPORT void JNICALL JNI_CM(connect)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
				       jint retry_count, jint rnr_retry_count,
				       jlong private_data, jbyte private_data_len)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);
	struct rdma_conn_param param;

	if (!id) {
		disni_throw(env, "j2c::connect: cm_listen_id null");
		return;
	}
	if (private_data_len != 0 && !disni_ptr(private_data)) {
		disni_throw(env, "j2c::connect: private data null with non-zero length");
		return;
	}
	if (init_conn_param(env, "j2c::connect", id, retry_count, rnr_retry_count, &param) != 0)
		return;
	/* rdma_connect copies the private data; Java's buffer is not kept. */
	param.private_data = private_data_len != 0 ? disni_ptr(private_data) : NULL;
	param.private_data_len = (uint8_t)private_data_len;
	if (rdma_connect(id, &param) != 0)
		disni_throw_errno(env, "j2c::connect: rdma_connect failed", errno);
}

JNIEXPORT void JNICALL JNI_CM(accept)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
				      jint retry_count, jint rnr_retry_count)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);
	struct rdma_conn_param param;

	if (!id) {
		disni_throw(env, "j2c::accept: cm_listen_id null");
		return;
	}
	if (init_conn_param(env, "j2c::accept", id, retry_count, rnr_retry_count, &param) != 0)
		return;
	if (rdma_accept(id, &param) != 0)
		disni_throw_errno(env, "j2c::accept: rdma_accept failed", errno);
}

/* Returns rdma_disconnect's code; only a NULL id throws. */
JNIEXPORT jint JNICALL JNI_CM(disconnect)(JNIEnv *env, jobject self UNUSED, jlong id_handle)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id) {
		disni_throw(env, "j2c::disconnect: cm_listen_id null");
		return -1;
	}
	return rdma_disconnect(id);
}

static jint copy_sockaddr(jlong addr, const struct sockaddr *source)
{
	void *java_addr = disni_ptr(addr);

	if (!java_addr)
		return -1;
	memcpy(java_addr, source, sizeof(struct sockaddr));
	return 0;
}

JNIEXPORT jint JNICALL JNI_CM(getSrcAddr)(JNIEnv *env UNUSED, jobject self UNUSED,
					  jlong id_handle, jlong addr)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id)
		return -1;
	return copy_sockaddr(addr, rdma_get_local_addr(id));
}

JNIEXPORT jint JNICALL JNI_CM(getDstAddr)(JNIEnv *env UNUSED, jobject self UNUSED,
					  jlong id_handle, jlong addr)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id)
		return -1;
	return copy_sockaddr(addr, rdma_get_peer_addr(id));
}
