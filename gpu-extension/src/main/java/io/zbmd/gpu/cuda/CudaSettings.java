package io.zbmd.gpu.cuda;

import com.typesafe.config.Config;
import java.util.Locale;

/**
 * Settings of the CUDA backend, read once from {@code zbmd.gpu.cuda}.
 *
 * @param gemm which sgemm to use: {@code auto} (cuBLAS when it loads, through JCublas or JavaCPP's
 *     CUDA presets, else ours), {@code cublas}
 *     (fail to start without it) or {@code kernel} (always ours)
 */
public record CudaSettings(Gemm gemm) {
  /** The sgemm implementations. */
  public enum Gemm {
    AUTO,
    CUBLAS,
    KERNEL
  }

  static CudaSettings from(Config c) {
    String gemm = c.hasPath("gemm") ? c.getString("gemm") : "auto";
    try {
      return new CudaSettings(Gemm.valueOf(gemm.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "zbmd.gpu.cuda.gemm must be auto, cublas or kernel, got '" + gemm + "'", e);
    }
  }
}
