package io.zbmd.testkit.faults;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.cpu.CpuBackendProvider;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Shared pieces of the fault-injection tests: a small CPU backend and waiting on stages. */
final class FaultTesting {
  static final DeviceId FAULTY0 = new DeviceId("faulty", 0);
  static final DeviceId CPU0 = new DeviceId("cpu", 0);

  private FaultTesting() {}

  /** The CPU backend with one worker thread: the build machine has two cores. */
  static Backend cpu() {
    return new CpuBackendProvider().create(ConfigFactory.parseString("threads = 1"));
  }

  /** The stage's value; fails the test if it failed or took more than 10 seconds. */
  static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("stage failed: " + e.getCause(), e.getCause());
    }
  }

  /** The exception the stage failed with, checked to be a {@code type}. */
  static <E extends Throwable> E failure(CompletionStage<?> stage, Class<E> type) throws Exception {
    try {
      Object value = stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
      return fail("expected " + type.getSimpleName() + ", but the stage completed with " + value);
    } catch (ExecutionException e) {
      return assertInstanceOf(type, e.getCause());
    }
  }

  /** True when the stage completed normally, false when it failed. */
  static boolean succeeded(CompletionStage<?> stage) throws Exception {
    try {
      stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      return false;
    }
  }
}
