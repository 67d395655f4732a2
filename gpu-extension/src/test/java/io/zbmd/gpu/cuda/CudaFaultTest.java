package io.zbmd.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceHealth;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.runtime.Zbmd;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An injected sticky error (a kernel that stores through a null pointer) marks the device lost:
 * the faulting work fails with {@link DeviceLostException} naming the CUDA error, and later work
 * and allocations fail fast with it, in the backend and through {@link GpuExtension} (health LOST).
 *
 * <p>A sticky error ruins the device's primary context for the rest of the process, so this test
 * runs in a JVM of its own (a surefire execution of its own; on the GPU machine, its own java).
 */
@ExtendWith(CudaRequirement.class)
class CudaFaultTest {
  private static final DeviceId CUDA0 = new DeviceId("cuda", 0);

  @Test
  void aStickyErrorMarksTheDeviceLostAndLaterWorkFailsFast() throws Exception {
    CudaRequirement.assume();
    ActorTestKit kit = ActorTestKit.create("cuda-fault", Zbmd.config(ConfigFactory.parseString(
        "zbmd.gpu.backends = [cuda, cpu]\nzbmd.gpu.cuda.gemm = kernel")));
    CudaBackend backend = null;
    try {
      GpuExtension gpu = GpuExtension.get(kit.system());
      DeviceStream stream = gpu.stream(CUDA0);
      DeviceBuffer x = gpu.allocate(CUDA0, DType.FLOAT32, 1024, "fault-test");

      // The device works before the fault.
      float[] back = new float[4];
      await(stream.submit(ops -> {
        ops.fill(x, 0, 1024, 3f);
        ops.copyToHost(x, 0, back, 0, 4);
        return null;
      }));
      assertEquals(3f, back[0]);
      assertEquals(DeviceHealth.HEALTHY, gpu.health(CUDA0));

      // The fault, injected through a second backend on the same device: it shares the device's
      // primary context with the extension's backend, as every CUDA user in a process does.
      backend = (CudaBackend) new CudaBackendProvider().create(ConfigFactory.parseString("gemm = kernel"));
      long t0 = System.nanoTime();
      Throwable fault = failureOf(backend.launchForTesting(CUDA0, resource("fault.ptx"), "zbmd_test_store_to_null"));
      System.out.printf("[fault] the faulting work failed after %.1f ms: %s%n", (System.nanoTime() - t0) / 1e6, fault);
      assertInstanceOf(DeviceLostException.class, fault);
      assertTrue(fault.getMessage().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), fault.getMessage());

      // That backend now refuses work and allocations at once, without calling the driver.
      CudaBackend faulted = backend;
      long t1 = System.nanoTime();
      Throwable later = failureOf(faulted.stream(CUDA0).submit(ops -> {
        ops.fill(x, 0, 1, 1f);
        return null;
      }));
      assertInstanceOf(DeviceLostException.class, later);
      assertThrows(DeviceLostException.class, () -> faulted.allocate(CUDA0, DType.FLOAT32, 16, "after"));
      System.out.printf("[fault] later work and allocation refused in %.3f ms: %s%n", (System.nanoTime() - t1) / 1e6, later.getMessage());

      // The extension's backend finds the context failed at its next work: the stage fails with
      // DeviceLostException, the extension marks cuda:0 LOST, and refuses further work itself.
      Throwable next = failureOf(stream.submit(ops -> {
        ops.fill(x, 0, 1024, 1f);
        return null;
      }));
      System.out.println("[fault] the extension's next work on cuda:0 failed: " + next);
      assertInstanceOf(DeviceLostException.class, next);
      assertEquals(DeviceHealth.LOST, gpu.health(CUDA0));
      assertInstanceOf(DeviceLostException.class, failureOf(stream.submit(ops -> null)));
      assertThrows(DeviceLostException.class, () -> gpu.allocate(CUDA0, DType.FLOAT32, 16, "after"));
      assertEquals("cpu", gpu.defaultDevice().id().backend());
      System.out.println("[fault] health of cuda:0 = " + gpu.health(CUDA0) + ", default device now " + gpu.defaultDevice().id());
    } finally {
      if (backend != null) {
        backend.close();
      }
      kit.shutdownTestKit();
    }
  }

  private static void await(java.util.concurrent.CompletionStage<?> stage) throws Exception {
    stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(java.util.concurrent.CompletionStage<?> stage) throws Exception {
    CompletableFuture<?> f = stage.toCompletableFuture();
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the stage completed normally");
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = CudaFaultTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
