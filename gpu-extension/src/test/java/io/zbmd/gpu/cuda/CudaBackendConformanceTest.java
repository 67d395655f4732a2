package io.zbmd.gpu.cuda;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendConformanceTest;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance suite on {@code cuda:0}, against the same double-precision reference and
 * tolerances as every backend; skipped with the reason where there is no CUDA driver and device.
 * The gemm under test is our kernel ({@code -Dzbmd.test.cuda.gemm=auto} tests cuBLAS where it
 * loads).
 */
@ExtendWith(CudaRequirement.class)
class CudaBackendConformanceTest extends BackendConformanceTest {
  @Override
  protected Backend createBackend() {
    return CudaRequirement.createBackend();
  }
}
