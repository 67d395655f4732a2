package io.zbmd.gpu.cuda;

import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.KernelException;
import jcuda.driver.CUresult;

/**
 * Turns CUDA driver results into the typed failures of the SPI: out of memory into {@link
 * DeviceOutOfMemoryException}, the sticky errors (after which the CUDA context is unusable and the
 * process must restart to use the device again) into {@link DeviceLostException}, anything else
 * into {@link KernelException}, each naming the op and the CUDA error.
 */
final class CudaErrors {
  private CudaErrors() {}

  /** The CUDA name of a result, e.g. {@code CUDA_ERROR_ILLEGAL_ADDRESS}; needs no driver. */
  static String name(int result) {
    String s = CUresult.stringFor(result);
    return s.startsWith("INVALID CUresult") ? "CUresult " + result : s;
  }

  /**
   * Errors that corrupt the context: every later call in it fails the same way ("the process must
   * be terminated and relaunched", in the driver API's words).
   */
  static boolean isSticky(int result) {
    return switch (result) {
      case CUresult.CUDA_ERROR_ECC_UNCORRECTABLE,
          CUresult.CUDA_ERROR_NVLINK_UNCORRECTABLE,
          CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
          CUresult.CUDA_ERROR_LAUNCH_TIMEOUT,
          CUresult.CUDA_ERROR_CONTEXT_IS_DESTROYED,
          CUresult.CUDA_ERROR_ASSERT,
          CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR,
          CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION,
          CUresult.CUDA_ERROR_MISALIGNED_ADDRESS,
          CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE,
          CUresult.CUDA_ERROR_INVALID_PC,
          CUresult.CUDA_ERROR_LAUNCH_FAILED,
          CUresult.CUDA_ERROR_EXTERNAL_DEVICE,
          CUresult.CUDA_ERROR_DEINITIALIZED,
          CUresult.CUDA_ERROR_UNKNOWN -> true;
      default -> false;
    };
  }

  /**
   * The exception for a failed driver call or kernel.
   *
   * @param op what failed, for the message ({@code cuMemAlloc}, {@code gemm}...)
   * @param requested bytes asked for (0 when nothing was allocated)
   * @param free bytes free on the device, or -1 when unknown
   */
  static DeviceException exception(DeviceId device, String op, int result, long requested, long free) {
    String name = name(result);
    if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
      return new DeviceOutOfMemoryException(device, requested, Math.max(free, 0), op + ": " + name);
    }
    if (isSticky(result)) {
      return new DeviceLostException(device, op + " failed with " + name
          + ", a sticky error: the device's CUDA context is unusable for the rest of this process", null);
    }
    return new KernelException(device, op + " failed: " + name, null);
  }

  /**
   * A short reason for a binding that did not load: the missing library when the JNI loader names
   * one (JCuda's messages list every path tried), else the first line of the throwable.
   */
  static String explainLinkFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = String.valueOf(c.getMessage());
      java.util.regex.Matcher lib = java.util.regex.Pattern.compile("(lib[A-Za-z0-9_.-]+\\.so[0-9.]*): cannot open shared object file").matcher(m);
      if (lib.find()) {
        return lib.group(1) + " not found";
      }
      if (c.getCause() == c) {
        break;
      }
    }
    String first = String.valueOf(t).lines().findFirst().orElse("");
    return first.length() > 300 ? first.substring(0, 300) + "..." : first;
  }
}
