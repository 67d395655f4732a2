package io.zbmd.gpu;

import com.typesafe.config.Config;
import java.util.Optional;

/**
 * Plugs a backend in, found with {@link java.util.ServiceLoader} (list the class in {@code
 * META-INF/services/io.zbmd.gpu.BackendProvider}), as DJL finds engines. Loading the class must
 * never fail because native parts are missing: {@link #isAvailable()} and {@link
 * #unavailabilityCause()} say so instead, as Netty's {@code Epoll} does.
 */
public interface BackendProvider {
  /** The name config and CLI use: {@code cpu}, {@code vulkan}, {@code cuda}, {@code rocm}. */
  String name();

  /** Preference when config names no order: higher first. */
  int rank();

  /**
   * True for a backend only tests use (testkit's fault injection): unless config names it, it is
   * left out of {@code GpuExtension.backends()}, so a product that ships testkit does not list it.
   */
  default boolean testOnly() {
    return false;
  }

  /** True when {@link #create} can succeed on this machine. */
  default boolean isAvailable() {
    return unavailabilityCause().isEmpty();
  }

  /** Why this backend cannot load here (missing driver, no device...), or empty when it can. */
  Optional<Throwable> unavailabilityCause();

  /**
   * Why this backend cannot load here with {@code config}, its {@code zbmd.gpu.<name>} block (may be
   * empty), or empty when it can: for reasons that depend on settings, such as a device kind the
   * config does not allow. Discovery asks this one. Default: {@link #unavailabilityCause()}.
   */
  default Optional<Throwable> unavailabilityCause(Config config) {
    return unavailabilityCause();
  }

  /**
   * True when {@link #create} can succeed here with {@code config}; discovery asks this one.
   * Default: {@link #isAvailable()}. A provider whose availability depends on settings overrides
   * both config-aware methods.
   */
  default boolean isAvailable(Config config) {
    return isAvailable();
  }

  /**
   * Loads the backend.
   *
   * @param config this backend's block, {@code zbmd.gpu.<name>} (may be empty)
   */
  Backend create(Config config);
}
