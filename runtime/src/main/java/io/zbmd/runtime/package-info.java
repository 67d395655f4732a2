/**
 * zbmd runtime: {@link io.zbmd.runtime.Zbmd} bootstraps a typed actor system with measured
 * defaults; {@code io.zbmd.runtime.supervision} adds OTP-style supervision trees;
 * {@code io.zbmd.runtime.metrics} records metrics through Kamon and serves them to Prometheus.
 */
package io.zbmd.runtime;
