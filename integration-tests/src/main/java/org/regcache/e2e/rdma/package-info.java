/**
 * A client and a server connected over one RDMA device in one process (DiSNI's verbs API):
 * the client's queue pair lives in the registration cache's protection domain, the server
 * registers its buffer once. One-sided RDMA WRITE and READ, each waited for.
 */
package org.regcache.e2e.rdma;
