/**
 * The end-to-end registration benchmark ({@link org.regcache.e2e.bench.RegistrationBench},
 * started by integration-tests/bench): cached acquire + release against DiSNI's regMr +
 * deregMr per use, by buffer size, as ratios beside absolute times.
 */
package org.regcache.e2e.bench;
