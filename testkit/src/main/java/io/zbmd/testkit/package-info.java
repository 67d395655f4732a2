/**
 * Test support for zbmd and its users: a JUnit 5 extension that provides an {@code ActorTestKit}
 * with zbmd's configuration, {@link io.zbmd.testkit.Requirements} for tests that need hardware or
 * services (Vulkan, CUDA, PostgreSQL), and, in {@link io.zbmd.testkit.faults}, a backend that
 * injects device failures reproducibly.
 */
package io.zbmd.testkit;
