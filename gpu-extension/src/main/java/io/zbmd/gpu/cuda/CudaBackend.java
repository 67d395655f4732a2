package io.zbmd.gpu.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The CUDA backend: every device the driver reports, each through its primary context, with a
 * stream of its own ({@link CudaStream}), our PTX kernels and cuBLAS where it loads.
 */
final class CudaBackend implements Backend {
  private final List<CudaDevice> devices = new ArrayList<>();
  private final Cleaner cleaner = Cleaner.create();
  private volatile boolean closed;

  CudaBackend(CudaSettings settings) {
    CudaDriver.unavailabilityCause().ifPresent(cause -> {
      throw new IllegalStateException("the cuda backend cannot start: " + cause.getMessage(), cause);
    });
    int[] count = new int[1];
    int r = cuDeviceGetCount(count);
    if (r != 0) {
      throw new IllegalStateException("cuDeviceGetCount failed: " + CudaErrors.name(r));
    }
    byte[] ptx = CudaKernels.ptx();
    try {
      for (int i = 0; i < count[0]; i++) {
        devices.add(new CudaDevice(i, settings, ptx, cleaner));
      }
    } catch (RuntimeException | Error e) {
      devices.forEach(CudaDevice::close);
      throw e;
    }
  }

  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public List<Device> devices() {
    return devices.stream().map(CudaDevice::device).toList();
  }

  @Override
  public DeviceBuffer allocate(DeviceId device, DType dtype, long elements, String owner) {
    if (closed) {
      throw new IllegalStateException("the cuda backend is closed; cannot allocate for " + owner);
    }
    return cuda(device).allocate(dtype, elements, owner);
  }

  @Override
  public DeviceStream stream(DeviceId device) {
    return cuda(device).stream();
  }

  @Override
  public void bindThread(DeviceId device) {
    cuda(device).bindThread();
  }

  @Override
  public long freeMemory(DeviceId device) {
    return cuda(device).freeMemory();
  }

  /**
   * Test hook: runs one thread of kernel {@code entry} from {@code ptx} as a work on {@code
   * device}'s stream (fault injection).
   */
  CompletionStage<Void> launchForTesting(DeviceId device, String ptx, String entry) {
    return cuda(device).stream().launchForTesting(ptx, entry);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (CudaDevice d : devices) {
      d.close();
    }
  }

  private CudaDevice cuda(DeviceId id) {
    if (id != null && "cuda".equals(id.backend()) && id.index() < devices.size()) {
      return devices.get(id.index());
    }
    throw new IllegalArgumentException("the cuda backend has devices "
        + devices.stream().map(d -> d.id.toString()).toList() + "; no " + id);
  }
}
