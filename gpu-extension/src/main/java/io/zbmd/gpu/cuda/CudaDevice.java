package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuCtxPopCurrent;
import static jcuda.driver.JCudaDriver.cuCtxPushCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceKind;
import io.zbmd.gpu.DeviceLostException;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.IntSupplier;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CUDA device: its primary context (retained for the backend's life, released at close), its
 * stream, its live buffers, and whether it is lost. A sticky CUDA error anywhere marks it lost;
 * from then on allocation and work fail fast with {@link DeviceLostException}.
 */
final class CudaDevice {
  private static final Logger log = LoggerFactory.getLogger(CudaDevice.class);

  final DeviceId id;
  final CUcontext context = new CUcontext();
  private final CUdevice cuDevice = new CUdevice();
  private final Device device;
  private final CudaStream stream;
  private final Cleaner cleaner;
  // Weakly held, as the CPU backend's: close() frees what users still hold, and a leaked buffer
  // stays collectable (its Cleaner then frees the memory).
  private final Set<DeviceBuffer> live =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
  private volatile DeviceLostException lost;
  private volatile boolean closing;
  private boolean released; // guarded by this

  CudaDevice(int ordinal, CudaSettings settings, byte[] ptx, Cleaner cleaner) {
    this.id = new DeviceId("cuda", ordinal);
    this.cleaner = cleaner;
    check("cuDeviceGet", cuDeviceGet(cuDevice, ordinal));
    byte[] name = new byte[256];
    check("cuDeviceGetName", cuDeviceGetName(name, name.length, cuDevice));
    long[] total = new long[1];
    check("cuDeviceTotalMem", cuDeviceTotalMem(total, cuDevice));
    int major = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    int minor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    boolean integrated = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_INTEGRATED) != 0;
    check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(context, cuDevice));
    try {
      this.stream = new CudaStream(this, settings, ptx);
    } catch (RuntimeException | Error e) {
      cuDevicePrimaryCtxRelease(cuDevice);
      throw e;
    }
    String text = new String(name, StandardCharsets.US_ASCII);
    int nul = text.indexOf('\0');
    this.device = new Device(id, integrated ? DeviceKind.INTEGRATED_GPU : DeviceKind.DISCRETE_GPU,
        (nul < 0 ? text : text.substring(0, nul)).trim() + " (sm_" + major + minor + ", CUDA driver "
            + CudaDriver.driverVersion() + "; gemm: " + stream.gemmDescription() + ")",
        total[0]);
    stream.setDevice(device);
  }

  Device device() {
    return device;
  }

  CudaStream stream() {
    return stream;
  }

  private int attribute(int attribute) {
    int[] v = new int[1];
    check("cuDeviceGetAttribute(" + attribute + ")", cuDeviceGetAttribute(v, attribute, cuDevice));
    return v[0];
  }

  /** Makes the primary context current on the calling thread (a pinned dispatcher thread). */
  void bindThread() {
    check("cuCtxSetCurrent", cuCtxSetCurrent(context));
  }

  /**
   * Runs a driver call with the context current on any thread, leaving the thread's own current
   * context as it was.
   */
  int withContext(IntSupplier call) {
    int r = cuCtxPushCurrent(context);
    if (r != 0) {
      return r;
    }
    try {
      return call.getAsInt();
    } finally {
      cuCtxPopCurrent(new CUcontext());
    }
  }

  DeviceBuffer allocate(DType dtype, long elements, String owner) {
    checkUsable("allocate for " + owner);
    if (dtype != DType.FLOAT32 && dtype != DType.INT32) {
      throw new IllegalArgumentException("the cuda backend does not support " + dtype + " yet");
    }
    if (elements <= 0) {
      throw new IllegalArgumentException("buffer size must be > 0 elements, got " + elements);
    }
    long bytes = Math.multiplyExact(elements, (long) dtype.byteSize());
    CUdeviceptr p = new CUdeviceptr();
    int r = withContext(() -> cuMemAlloc(p, bytes));
    if (r != 0) {
      throw error("cuMemAlloc of " + bytes + " bytes for " + owner, r, bytes);
    }
    CudaBuffer b = new CudaBuffer(id, dtype, elements, owner, p, this, cleaner);
    // Zeroed on the stream, ahead of any work that can use it, as the CPU backend's buffers are.
    stream.zero(b.at(0), elements);
    live.add(b);
    b.addFreeListener(live::remove);
    return b;
  }

  /** Frees device memory after the work already on the stream; called from any thread. */
  void free(CUdeviceptr pointer) {
    if (!stream.freeInOrder(pointer)) {
      synchronized (this) {
        if (!released) { // the context still exists: free now (the stream has drained)
          withContext(() -> cuMemFree(pointer));
        } // else the memory went with the context
      }
    }
  }

  /** Free memory as the driver reports it, or -1. */
  long freeMemory() {
    if (lost != null || closing) {
      return -1;
    }
    long[] free = new long[1];
    long[] total = new long[1];
    int r = withContext(() -> cuMemGetInfo(free, total));
    return r == 0 ? free[0] : -1;
  }

  // ---- failures ----

  /**
   * The typed exception for a failed driver call (see {@link CudaErrors}); a sticky error marks
   * the device lost first.
   */
  DeviceException error(String op, int result, long requested) {
    long free = result == jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY ? freeMemory() : -1;
    DeviceException e = CudaErrors.exception(id, op, result, requested, free);
    if (e instanceof DeviceLostException l) {
      markLost(l);
    }
    return e;
  }

  void check(String op, int result) {
    if (result != 0) {
      throw error(op, result, 0);
    }
  }

  void markLost(DeviceLostException cause) {
    synchronized (this) {
      if (lost != null) {
        return;
      }
      lost = cause;
    }
    log.error("{} is lost; allocation and work on it now fail fast", id, cause);
  }

  boolean isLost() {
    return lost != null;
  }

  /** The exception to refuse {@code what} with, or null while the device is usable. */
  DeviceLostException lostException(String what) {
    DeviceLostException cause = lost;
    return cause == null ? null
        : new DeviceLostException(id, what + " refused: the device was lost earlier (" + cause.getMessage() + ")", cause);
  }

  private void checkUsable(String what) {
    DeviceLostException e = lostException(what);
    if (e != null) {
      throw e;
    }
    if (closing) {
      throw new IllegalStateException("the cuda backend is closed; cannot " + what);
    }
  }

  // ---- shutdown ----

  /** Frees live buffers, drains the stream, unloads the kernels, releases the primary context. */
  void close() {
    closing = true;
    List<DeviceBuffer> remaining;
    synchronized (live) {
      remaining = List.copyOf(live);
    }
    for (DeviceBuffer b : remaining) {
      while (!b.isFreed()) {
        try {
          b.release();
        } catch (IllegalStateException raced) {
          break; // released concurrently by its owner: freed either way
        }
      }
    }
    stream.close();
    synchronized (this) {
      released = true;
      cuDevicePrimaryCtxRelease(cuDevice);
    }
  }
}
