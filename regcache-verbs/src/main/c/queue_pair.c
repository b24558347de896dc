/*
 * Queue pairs: creation through rdma_cm (which also performs every state transition: INIT
 * in rdma_create_qp, RTR/RTS in rdma_connect/rdma_accept), teardown, and the posting of
 * work-request chains Java serialised as native struct ibv_send_wr/ibv_recv_wr.
 */
#include <errno.h>
#include <string.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "disni.h"

#define JNI_QP(name) Java_com_ibm_disni_verbs_impl_NativeDispatcher__1##name

/* Scatter/gather entries per work request, both directions (DiSNI's fixed value). */
#define DISNI_QP_MAX_SGE 4

JNIEXPORT jlong JNICALL JNI_QP(createQP)(JNIEnv *env, jobject self UNUSED, jlong id_handle,
					 jlong pd_handle, jlong send_cq_handle,
					 jlong recv_cq_handle, jint qp_type, jint max_send_wr,
					 jint max_recv_wr, jint max_inline)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);
	struct ibv_pd *pd = disni_ptr(pd_handle);
	struct ibv_cq *send_cq = disni_ptr(send_cq_handle);
	struct ibv_cq *recv_cq = disni_ptr(recv_cq_handle);
	struct ibv_qp_init_attr attr;

	if (!id || !pd || !send_cq || !recv_cq) {
		disni_throw(env, "j2c::createQP: cm_listen_id or protection or cq null");
		return DISNI_NONE;
	}
	memset(&attr, 0, sizeof(attr));
	attr.qp_type = (enum ibv_qp_type)qp_type;
	attr.send_cq = send_cq;
	attr.recv_cq = recv_cq;
	attr.cap.max_send_wr = (uint32_t)max_send_wr;
	attr.cap.max_recv_wr = (uint32_t)max_recv_wr;
	attr.cap.max_send_sge = DISNI_QP_MAX_SGE;
	attr.cap.max_recv_sge = DISNI_QP_MAX_SGE;
	attr.cap.max_inline_data = (uint32_t)max_inline;
	attr.sq_sig_all = 0;
	if (rdma_create_qp(id, pd, &attr) != 0) {
		disni_throw_errno(env, "j2c::createQP: rdma_create_qp failed", errno);
		return DISNI_NONE;
	}
	return disni_handle(id->qp);
}

/* Takes the cm id, not the QP: destroys the QP rdma_create_qp attached to it. */
JNIEXPORT jint JNICALL JNI_QP(destroyQP)(JNIEnv *env UNUSED, jobject self UNUSED,
					 jlong id_handle)
{
	struct rdma_cm_id *id = disni_ptr(id_handle);

	if (!id || !id->qp)
		return -1;
	rdma_destroy_qp(id);
	return 0;
}

/*
 * DiSNI 2.1 defines no native layout for QP attributes and always passes attr = 0, so this
 * applies the empty modification (attribute mask 0) and returns 0; rdma_cm performs the
 * real transitions. A non-zero attr is refused rather than misread.
 */
JNIEXPORT jint JNICALL JNI_QP(modifyQP)(JNIEnv *env, jobject self UNUSED, jlong qp_handle,
					jlong attr_addr)
{
	struct ibv_qp *qp = disni_ptr(qp_handle);
	struct ibv_qp_attr attr;
	int ret;

	if (!qp) {
		disni_throw(env, "j2c::modify_qp: queuepair null");
		return -1;
	}
	if (attr_addr != 0) {
		disni_throw(env, "j2c::modify_qp: QP attributes not supported (DiSNI passes none)");
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	ret = ibv_modify_qp(qp, &attr, 0);
	if (ret != 0) {
		disni_throw_errno(env, "j2c::modify_qp: ibv_modify_qp failed", ret);
		return -1;
	}
	return 0;
}

JNIEXPORT jint JNICALL JNI_QP(getQpNum)(JNIEnv *env, jobject self UNUSED, jlong qp_handle)
{
	struct ibv_qp *qp = disni_ptr(qp_handle);

	if (!qp) {
		disni_throw(env, "j2c::getQpNum: failed, ibv_qp null");
		return -1;
	}
	return (jint)qp->qp_num;
}

/*
 * Posts the chain of send WRs at wr_list (absolute next/sg_list pointers written by Java).
 * The chain is read afresh on every call: Java edits it in place between posts.
 */
JNIEXPORT void JNICALL JNI_QP(postSend)(JNIEnv *env, jobject self UNUSED, jlong qp_handle,
					jlong wr_list)
{
	struct ibv_qp *qp = disni_ptr(qp_handle);
	struct ibv_send_wr *wr = disni_ptr(wr_list);
	struct ibv_send_wr *bad_wr;
	int ret;

	if (!qp) {
		disni_throw(env, "j2c::post_send: queuepair null");
		return;
	}
	if (!wr) {
		disni_throw(env, "j2c::post_send: work request list null");
		return;
	}
	ret = ibv_post_send(qp, wr, &bad_wr);
	if (ret != 0)
		disni_throw_errno(env, "j2c::post_send: ibv_post_send failed", ret);
}

JNIEXPORT void JNICALL JNI_QP(postRecv)(JNIEnv *env, jobject self UNUSED, jlong qp_handle,
					jlong wr_list)
{
	struct ibv_qp *qp = disni_ptr(qp_handle);
	struct ibv_recv_wr *wr = disni_ptr(wr_list);
	struct ibv_recv_wr *bad_wr;
	int ret;

	if (!qp) {
		disni_throw(env, "j2c::post_recv: queuepair null");
		return;
	}
	if (!wr) {
		disni_throw(env, "j2c::post_recv: work request list null");
		return;
	}
	ret = ibv_post_recv(qp, wr, &bad_wr);
	if (ret != 0)
		disni_throw_errno(env, "j2c::post_recv: ibv_post_recv failed", ret);
}
