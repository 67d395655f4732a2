package io.zbmd.gpu.internal;

import java.util.Optional;

/**
 * The CUDA and Vulkan backends' jars are optional dependencies of zbmd-gpu-extension (an
 * application on the CPU pulls neither): their providers ask here first, so that a missing jar is
 * reported as such rather than as a NoClassDefFoundError.
 */
public final class OptionalJars {
  private OptionalJars() {}

  /** Empty when {@code className} loads; else why {@code backend} cannot, naming the artifact. */
  public static Optional<Throwable> missing(String backend, String className, String jar) {
    try {
      Class.forName(className, false, OptionalJars.class.getClassLoader());
      return Optional.empty();
    } catch (ClassNotFoundException | LinkageError e) {
      return Optional.of(
          new IllegalStateException(
              "the " + backend + " backend's jars are not on the class path (" + jar
                  + "): depend on io.zbmd:zbmd-gpu-backends (type pom) for them",
              e));
    }
  }
}
