package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import java.util.Optional;

/**
 * Loads JCuda's driver binding and initializes the driver once per process, remembering why it
 * could not. The first touch of {@code JCudaDriver} loads its JNI library, which needs {@code
 * libcuda.so.1} (the NVIDIA driver); on machines without one that throws here, inside this holder,
 * never when the provider class loads.
 */
final class CudaDriver {
  private static volatile Optional<Throwable> cause;
  private static volatile int driverVersion;

  private CudaDriver() {}

  /** Why the driver API cannot be used here, or empty when cuInit succeeded and a device exists. */
  static Optional<Throwable> unavailabilityCause() {
    Optional<Throwable> c = cause;
    if (c == null) {
      synchronized (CudaDriver.class) {
        if (cause == null) {
          cause = Optional.ofNullable(probe());
        }
        c = cause;
      }
    }
    return c;
  }

  /** The driver's CUDA version as {@code major.minor}, e.g. {@code 13.0}. */
  static String driverVersion() {
    int v = driverVersion;
    return v / 1000 + "." + v % 1000 / 10;
  }

  private static Throwable probe() {
    try {
      int r = cuInit(0);
      if (r != 0) {
        return new IllegalStateException("cuInit failed: " + CudaErrors.name(r)
            + (r == jcuda.driver.CUresult.CUDA_ERROR_NO_DEVICE ? " (the driver sees no CUDA device)" : ""));
      }
      int[] count = new int[1];
      r = cuDeviceGetCount(count);
      if (r != 0) {
        return new IllegalStateException("cuDeviceGetCount failed: " + CudaErrors.name(r));
      }
      if (count[0] < 1) {
        return new IllegalStateException("no CUDA device: the driver reports 0 devices");
      }
      int[] version = new int[1];
      if (cuDriverGetVersion(version) == 0) {
        driverVersion = version[0];
      }
      return null;
    } catch (Throwable t) {
      return new IllegalStateException(explain(t), t);
    }
  }

  /** Says what is missing when JCuda's JNI library did not load. */
  private static String explain(Throwable t) {
    String all = String.valueOf(t);
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      all += " / " + c;
    }
    if (all.contains("libcuda.so")) {
      return "no NVIDIA driver: libcuda.so.1 could not be loaded (JCuda's driver API needs it)";
    }
    if (t instanceof NoClassDefFoundError) {
      return "JCuda (org.jcuda:jcuda) is not on the class path or failed to initialize: " + all;
    }
    return "JCuda's driver binding (jcuda-natives, linux-x86_64) did not load: " + all;
  }
}
