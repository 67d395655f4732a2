package io.zbmd.gpu.vulkan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The compute shaders of the Vulkan backend, one per primitive op (memory ops use transfer
 * commands): their GLSL under {@code io/zbmd/gpu/vulkan/shaders/}, how many storage buffers they
 * bind (bindings 0..n-1, in the order of the op's arguments) and how many 32-bit push-constant
 * words they take.
 */
enum Kernel {
  GEMM("gemm", 3, 16),
  UNARY("unary", 2, 2),
  AFFINE("affine", 2, 3),
  BINARY("binary", 3, 4),
  REDUCE_ROWS("reduce_rows", 2, 3),
  REDUCE_COLS("reduce_cols", 2, 3),
  ARGMAX("argmax", 2, 2),
  IM2COL("im2col", 2, 13),
  COL2IM("col2im", 2, 13),
  MAXPOOL_FORWARD("maxpool_forward", 3, 7),
  MAXPOOL_BACKWARD("maxpool_backward", 3, 7),
  SOFTMAX_CE_FORWARD("softmax_ce_forward", 4, 2),
  SOFTMAX_CE_BACKWARD("softmax_ce_backward", 3, 3),
  SGD("sgd", 3, 4),
  ADAM("adam", 4, 8);

  private static final String RESOURCES = "/io/zbmd/gpu/vulkan/shaders/";

  final String shaderName;
  final int bindings;
  final int pushWords;

  Kernel(String shaderName, int bindings, int pushWords) {
    this.shaderName = shaderName;
    this.bindings = bindings;
    this.pushWords = pushWords;
  }

  /** The side of the tile of C one gemm workgroup computes, whatever its shape. */
  static final int GEMM_TILE = 64;

  /**
   * The full GLSL: version, defines ({@code BLOCK_SIZE}; for gemm {@code GEMM_THREADS}, the side of
   * its workgroup, and {@code GEMM_PER}, the side of the block of C each invocation computes), the
   * common helpers, then the kernel.
   */
  String source(int blockSize, int gemmWorkgroup) {
    return "#version 450\n#define BLOCK_SIZE "
        + blockSize
        + "\n"
        + (this == GEMM
            ? "#define GEMM_THREADS "
                + gemmWorkgroup
                + "\n#define GEMM_PER "
                + GEMM_TILE / gemmWorkgroup
                + "\n"
            : "")
        + resource("common.glsl")
        + "\n#line 1\n"
        + resource(shaderName + ".comp");
  }

  static String resource(String file) {
    try (InputStream in = Kernel.class.getResourceAsStream(RESOURCES + file)) {
      if (in == null) {
        throw new IllegalStateException("shader resource missing: " + RESOURCES + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read shader " + file, e);
    }
  }
}
