/**
 * The demo ({@link org.regcache.e2e.demo.Demo}, started by integration-tests/demo): the same
 * workload without a cache, with the ummunotify cache, and with the cache's invalidation
 * switched off, then a table and a verdict.
 */
package org.regcache.e2e.demo;
