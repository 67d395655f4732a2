/**
 * The messaging benchmark: ping-pong, a ring, fan-in and one-way tell latency, measured for zbmd's
 * default configuration and for plain Pekko defaults in one JVM.
 *
 * <pre>{@code
 * MessagingReport report = MessagingBenchmark.run(Options.defaults());
 * report.print(System.out);
 * }</pre>
 */
package io.zbmd.benchmarks.messaging;
