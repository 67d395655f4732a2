package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataEx;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * Our kernels on one device: the PTX resource (made from {@code src/main/cuda/zbmd_kernels.cu} by
 * {@code build-ptx.sh}) loaded into the device's context with {@code cuModuleLoadDataEx}, which
 * JIT-compiles it for the device, and a handle per kernel. Made on the stream thread.
 */
final class CudaKernels {
  /** Where the PTX lives on the class path. */
  static final String RESOURCE = "/io/zbmd/gpu/cuda/zbmd_kernels.ptx";

  final CUmodule module = new CUmodule();
  final CUfunction unary;
  final CUfunction affine;
  final CUfunction binary;
  final CUfunction reduceRows;
  final CUfunction reduceCols;
  final CUfunction argmax;
  final CUfunction im2col;
  final CUfunction col2im;
  final CUfunction maxPoolForward;
  final CUfunction maxPoolBackward;
  final CUfunction softmaxCeForward;
  final CUfunction softmaxCeBackward;
  final CUfunction sgd;
  final CUfunction adam;
  final CUfunction sgemm;
  private final CudaDevice device;

  CudaKernels(CudaDevice device, byte[] ptx) {
    this.device = device;
    int r = cuModuleLoadDataEx(module, Pointer.to(ptx), 0, new int[0], Pointer.to(new int[0]));
    if (r != 0) {
      throw device.error("cuModuleLoadDataEx of " + RESOURCE + " (" + ptxVersion(ptx)
          + "; the driver may be older than that PTX ISA)", r, 0);
    }
    unary = function("zbmd_unary");
    affine = function("zbmd_affine");
    binary = function("zbmd_binary");
    reduceRows = function("zbmd_reduce_rows");
    reduceCols = function("zbmd_reduce_cols");
    argmax = function("zbmd_argmax");
    im2col = function("zbmd_im2col");
    col2im = function("zbmd_col2im");
    maxPoolForward = function("zbmd_maxpool_forward");
    maxPoolBackward = function("zbmd_maxpool_backward");
    softmaxCeForward = function("zbmd_softmax_ce_forward");
    softmaxCeBackward = function("zbmd_softmax_ce_backward");
    sgd = function("zbmd_sgd");
    adam = function("zbmd_adam");
    sgemm = function("zbmd_sgemm");
  }

  private CUfunction function(String name) {
    CUfunction f = new CUfunction();
    int r = cuModuleGetFunction(f, module, name);
    if (r != 0) {
      throw device.error("cuModuleGetFunction(" + name + ")", r, 0);
    }
    return f;
  }

  void unload() {
    cuModuleUnload(module);
  }

  /** The PTX resource, NUL-terminated as the driver wants it. */
  static byte[] ptx() {
    try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the kernels' PTX " + RESOURCE + " is missing from the class path");
      }
      byte[] text = in.readAllBytes();
      return Arrays.copyOf(text, text.length + 1);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  /** The {@code .version} line of the PTX, for messages. */
  static String ptxVersion(byte[] ptx) {
    String s = new String(ptx, 0, Math.min(ptx.length, 4096), java.nio.charset.StandardCharsets.US_ASCII);
    int at = s.indexOf("\n.version ");
    if (at < 0) {
      return "PTX ISA ?";
    }
    int end = s.indexOf('\n', at + 1);
    return "PTX ISA " + s.substring(at + ".version ".length() + 1, end < 0 ? s.length() : end).trim();
  }
}
