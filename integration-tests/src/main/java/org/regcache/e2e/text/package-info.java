/** Plain-text output shared by the demo and the benchmark: aligned tables. */
package org.regcache.e2e.text;
