/** The workloads of the messaging benchmark. Not API: names and shapes may change at any time. */
package io.zbmd.benchmarks.messaging.internal;
