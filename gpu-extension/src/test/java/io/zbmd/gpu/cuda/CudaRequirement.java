package io.zbmd.gpu.cuda;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Whether the CUDA tests can run here, as {@code io.zbmd.testkit.Requirements.cuda()} decides it
 * (gpu-extension cannot depend on the testkit: the testkit depends on it). Without a usable
 * driver and device the test is skipped with the reason printed, unless {@code -Dzbmd.require}
 * names {@code cuda} (CI on a GPU machine sets it): then it fails, so that a GPU machine that lost
 * its driver cannot pass by skipping. As a class extension ({@code @ExtendWith(CudaRequirement.class)})
 * it disables the whole class before anything runs, so the build reports it skipped with the
 * reason.
 */
final class CudaRequirement implements ExecutionCondition {
  CudaRequirement() {}

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    CudaBackendProvider provider = new CudaBackendProvider();
    if (provider.isAvailable()) {
      return ConditionEvaluationResult.enabled("CUDA is available");
    }
    String reason = reason(provider);
    if (required()) {
      throw new AssertionError("zbmd.require names cuda, but " + reason);
    }
    System.out.println("[skip] " + context.getDisplayName() + ": " + reason);
    return ConditionEvaluationResult.disabled(reason);
  }

  private static String reason(CudaBackendProvider provider) {
    return "CUDA unavailable: " + provider.unavailabilityCause().map(Throwable::getMessage).orElse("?");
  }

  private static boolean required() {
    String required = System.getProperty("zbmd.require", "");
    return Arrays.stream(required.split("[,\\s]+")).anyMatch("cuda"::equalsIgnoreCase);
  }

  /** Skips (or fails, when required) unless CUDA is usable. */
  static void assume() {
    CudaBackendProvider provider = new CudaBackendProvider();
    if (provider.isAvailable()) {
      return;
    }
    String reason = reason(provider);
    if (required()) {
      throw new AssertionError("zbmd.require names cuda, but " + reason);
    }
    System.out.println("[skip] " + reason);
    Assumptions.assumeTrue(false, reason);
  }

  /** The backend under test, with our sgemm kernel unless {@code zbmd.test.cuda.gemm} says otherwise. */
  static Backend createBackend() {
    assume();
    String gemm = System.getProperty("zbmd.test.cuda.gemm", "kernel");
    return new CudaBackendProvider().create(ConfigFactory.parseString("gemm = " + gemm));
  }
}
