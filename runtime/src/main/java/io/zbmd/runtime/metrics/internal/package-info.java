/** Kamon-backed implementation of {@code io.zbmd.runtime.metrics}; not API. */
package io.zbmd.runtime.metrics.internal;
