/**
 * Multi-JVM tests: child {@code java} processes started from the test's classpath, on free ports,
 * killed with SIGKILL or stopped with SIGSTOP, and always cleaned up. Pekko's multi-node testkit
 * is not served from Maven; this is the small part of it zbmd's cluster tests need.
 */
package io.zbmd.testkit.jvm;
