package io.zbmd.testkit;

import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Something a test needs that a machine may lack (a Vulkan driver, an NVIDIA GPU, a PostgreSQL
 * server). {@link #check()} skips the test with the reason printed, or fails it when the system
 * property {@value Requirements#REQUIRE_PROPERTY} names this requirement: CI sets that property
 * for everything it can provide, so a broken driver install cannot turn into a silent skip.
 *
 * <pre>{@code
 * @BeforeAll
 * static void needsVulkan() {
 *   Requirements.vulkan().check();
 * }
 * }</pre>
 *
 * @param name the name used in {@value Requirements#REQUIRE_PROPERTY}, e.g. {@code vulkan}
 * @param probe returns why the requirement is not met, or empty when it is
 */
public record Requirement(String name, Supplier<Optional<String>> probe) {

  /** Why this requirement is not met here, or empty when it is. */
  public Optional<String> unmetReason() {
    try {
      return probe.get();
    } catch (RuntimeException | LinkageError e) {
      return Optional.of("probing " + name + " threw " + e);
    }
  }

  /** True when the requirement is met on this machine. */
  public boolean isMet() {
    return unmetReason().isEmpty();
  }

  /** Skips the calling test (or fails it, when required) unless the requirement is met. */
  public void check() {
    check(Requirements.required());
  }

  void check(java.util.Set<String> required) {
    Optional<String> reason = unmetReason();
    if (reason.isEmpty()) {
      return;
    }
    String message = "requirement '" + name + "' not met: " + reason.get();
    if (required.contains(name)) {
      Assertions.fail(message + " (" + Requirements.REQUIRE_PROPERTY + " requires it)");
    }
    // Surefire shows skip reasons only in reports; print it so that a console reader sees it too.
    System.err.println("[zbmd testkit] skipped: " + message);
    Assumptions.abort(message);
  }
}
