package io.zbmd.gpu.cpu;

import com.typesafe.config.Config;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendProvider;
import java.util.Optional;

/**
 * The CPU backend: OpenBLAS sgemm through JavaCPP and Java loops for the other ops. Always
 * available where OpenBLAS loads (it is bundled for linux-x86_64); the reference every other
 * backend is tested against.
 */
public final class CpuBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public int rank() {
    return 0;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    return OpenBlas.unavailabilityCause();
  }

  @Override
  public Backend create(Config config) {
    return new CpuBackend(CpuSettings.from(config));
  }
}
