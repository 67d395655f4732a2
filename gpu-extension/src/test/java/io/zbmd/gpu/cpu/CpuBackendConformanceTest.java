package io.zbmd.gpu.cpu;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendConformanceTest;

/**
 * The conformance suite on the CPU backend, with a parallel threshold so low that even these small
 * shapes are split over three threads: the split paths are the ones under test (the inline path is
 * proved identical to them by {@link CpuDeterminismTest}).
 */
class CpuBackendConformanceTest extends BackendConformanceTest {
  @Override
  protected Backend createBackend() {
    return new CpuBackendProvider().create(ConfigFactory.parseString("threads = 3, parallel-threshold = 16"));
  }
}
