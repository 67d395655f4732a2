package io.zbmd.gpu.cuda;

import com.typesafe.config.Config;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendProvider;
import io.zbmd.gpu.internal.OptionalJars;
import java.util.Optional;

/**
 * The CUDA backend on JCuda's driver API: our kernels as PTX loaded through the driver (so they
 * run on any driver that accepts their PTX ISA version, CUDA 12 and 13 alike), cuBLAS for gemm
 * where it loads (JCublas on a CUDA 12 install, JavaCPP's CUDA presets on a CUDA 13 one), else our
 * own sgemm kernel. Available when JCuda's
 * driver binding loads ({@code libcuda.so.1}), {@code cuInit} succeeds and there is a device;
 * otherwise {@link #unavailabilityCause()} says which of these failed. Loading this class touches
 * no native code.
 *
 * <pre>{@code
 * zbmd.gpu.backends = [cuda, cpu]   # cuda:0... first, the CPU when there is no GPU
 * zbmd.gpu.cuda.gemm = auto         # or kernel, or cublas
 * }</pre>
 */
public final class CudaBackendProvider implements BackendProvider {
  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public int rank() {
    return 100;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    Optional<Throwable> missing =
        OptionalJars.missing("cuda", "jcuda.driver.JCudaDriver", "org.jcuda:jcuda");
    return missing.isPresent() ? missing : CudaDriver.unavailabilityCause();
  }

  @Override
  public Backend create(Config config) {
    return new CudaBackend(CudaSettings.from(config));
  }
}
