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

  /** True when {@link #create} can succeed on this machine. */
  default boolean isAvailable() {
    return unavailabilityCause().isEmpty();
  }

  /** Why this backend cannot load here (missing driver, no device...), or empty when it can. */
  Optional<Throwable> unavailabilityCause();

  /**
   * Loads the backend.
   *
   * @param config this backend's block, {@code zbmd.gpu.<name>} (may be empty)
   */
  Backend create(Config config);
}
