/**
 * Checked RDMA traffic over churning buffers on a registration cache: every transfer carries
 * a fresh {@link org.regcache.e2e.workload.TestPattern} and is verified by its receiver, so a
 * stale registration (the device using the pages a range had when it was registered) shows as
 * a corrupted transfer. {@link org.regcache.e2e.workload.CacheMode} names the three ways of
 * acquiring registrations the demo compares.
 */
package org.regcache.e2e.workload;
