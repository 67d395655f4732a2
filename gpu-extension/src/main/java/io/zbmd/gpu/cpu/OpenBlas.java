package io.zbmd.gpu.cpu;

import java.util.Optional;
import org.bytedeco.openblas.global.openblas_nolapack;

/** Loads OpenBLAS once, lazily, and remembers why it could not load. */
final class OpenBlas {
  private static final Throwable CAUSE = load();

  private OpenBlas() {}

  private static Throwable load() {
    try {
      // The first call makes JavaCPP extract and load libopenblas and its JNI glue.
      float[] c = new float[1];
      openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
          openblas_nolapack.CblasNoTrans, 1, 1, 1, 1f, new float[] {2f}, 1, new float[] {3f}, 1, 0f, c, 1);
      return c[0] == 6f ? null : new IllegalStateException("OpenBLAS sgemm gave 2*3 = " + c[0]);
    } catch (Throwable t) {
      return new IllegalStateException("OpenBLAS (org.bytedeco:openblas, linux-x86_64) did not load: " + t, t);
    }
  }

  static Optional<Throwable> unavailabilityCause() {
    return Optional.ofNullable(CAUSE);
  }
}
