/**
 * Benchmark harnesses. Each measures zbmd and a baseline (raw Pekko, a direct library call) in the
 * same JVM and prints their ratio; the {@code zbmd bench ...} subcommands run them.
 */
package io.zbmd.benchmarks;
