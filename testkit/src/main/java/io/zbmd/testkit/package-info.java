/**
 * Test support for zbmd and its users: a JUnit 5 extension that provides an {@code ActorTestKit}
 * with zbmd's configuration, and {@link io.zbmd.testkit.Requirements} for tests that need
 * hardware or services (Vulkan, CUDA, PostgreSQL).
 */
package io.zbmd.testkit;
