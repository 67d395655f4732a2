package io.zbmd.gpu.cuda;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendArgumentChecksTest;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared bad-input checks on {@code cuda:0}: nothing invalid may reach the driver. */
@ExtendWith(CudaRequirement.class)
class CudaBackendArgumentChecksTest extends BackendArgumentChecksTest {
  @Override
  protected Backend createBackend() {
    return CudaRequirement.createBackend();
  }
}
