package io.zbmd.gpu.cpu;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendArgumentChecksTest;

/** The shared bad-input checks on the CPU backend. */
class CpuBackendArgumentChecksTest extends BackendArgumentChecksTest {
  @Override
  protected Backend createBackend() {
    return new CpuBackendProvider().create(ConfigFactory.empty());
  }
}
