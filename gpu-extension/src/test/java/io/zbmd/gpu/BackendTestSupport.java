package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What a test against a backend needs, through the SPI only: one backend per test class, buffers
 * released after each test, upload ({@code copyFromHost}) and download ({@code copyToHost}), a
 * {@link #run} that waits for a stage with a timeout (a hung stream fails the test, not the build),
 * and comparisons with tolerances.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendTestSupport {
  /** No stage of these small tests takes a second; a stream that hangs fails within this. */
  protected static final long TIMEOUT_SECONDS = 30;

  protected Backend backend;
  protected DeviceId device;
  protected DeviceStream stream;
  private final List<DeviceBuffer> allocated = new ArrayList<>();

  /** The backend under test; closed after the class. */
  protected abstract Backend createBackend();

  /** The device under test: the backend's first unless overridden. */
  protected DeviceId deviceUnderTest(Backend backend) {
    return backend.devices().get(0).id();
  }

  @BeforeAll
  void openBackend() {
    backend = createBackend();
    device = deviceUnderTest(backend);
    stream = backend.stream(device);
  }

  @AfterAll
  void closeBackend() {
    if (backend != null) {
      backend.close();
    }
  }

  @AfterEach
  void releaseBuffers() {
    for (DeviceBuffer b : allocated) {
      if (!b.isFreed()) {
        b.release();
      }
    }
    allocated.clear();
  }

  // ---- running work ----

  /** Submits {@code work} and waits for its stage; a failed stage rethrows its cause. */
  protected <T> T run(DeviceStream.Work<T> work) {
    try {
      return await(work).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("stage failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("stage did not complete within " + TIMEOUT_SECONDS + " s", e);
    }
  }

  /** Submits {@code work}, expects its stage to fail with {@code type}, and returns the failure. */
  protected <E extends Throwable> E failure(Class<E> type, DeviceStream.Work<?> work) {
    Throwable cause;
    try {
      Object value = await(work).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("expected " + type.getSimpleName() + ", but the stage completed with " + value);
    } catch (ExecutionException e) {
      cause = e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("the stage did not complete within " + TIMEOUT_SECONDS + " s", e);
    }
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (!type.isInstance(cause)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + cause, cause);
    }
    return type.cast(cause);
  }

  /** The stage as a future, without relying on {@code toCompletableFuture} being supported. */
  private <T> CompletableFuture<T> await(DeviceStream.Work<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    stream.submit(work).whenComplete((v, e) -> {
      if (e != null) {
        f.completeExceptionally(e);
      } else {
        f.complete(v);
      }
    });
    return f;
  }

  // ---- buffers ----

  protected DeviceBuffer allocate(DType dtype, long elements) {
    DeviceBuffer b = backend.allocate(device, dtype, elements, getClass().getSimpleName());
    allocated.add(b);
    return b;
  }

  protected DeviceBuffer upload(float[] values) {
    DeviceBuffer b = allocate(DType.FLOAT32, values.length);
    run(ops -> {
      ops.copyFromHost(values, 0, b, 0, values.length);
      return null;
    });
    return b;
  }

  protected DeviceBuffer upload(int[] values) {
    DeviceBuffer b = allocate(DType.INT32, values.length);
    run(ops -> {
      ops.copyFromHost(values, 0, b, 0, values.length);
      return null;
    });
    return b;
  }

  protected float[] download(DeviceBuffer b) {
    float[] out = new float[(int) b.elements()];
    run(ops -> {
      ops.copyToHost(b, 0, out, 0, out.length);
      return null;
    });
    return out;
  }

  protected int[] downloadInts(DeviceBuffer b) {
    int[] out = new int[(int) b.elements()];
    run(ops -> {
      ops.copyToHost(b, 0, out, 0, out.length);
      return null;
    });
    return out;
  }

  // ---- data ----

  /** A generator seeded from the test's parameters, so each case has its own, repeatable data. */
  protected static Random random(Object... key) {
    return new Random(Arrays.deepToString(key).hashCode());
  }

  protected static float[] uniform(Random rnd, int n, double lo, double hi) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    }
    return x;
  }

  protected static int[] uniformInts(Random rnd, int n, int bound) {
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextInt(bound);
    }
    return x;
  }

  // ---- comparisons ----

  /**
   * Passes when each {@code |actual - expected| <= atol + rtol * scale} (scale: the expected
   * magnitude, or for sums the sum of the terms' magnitudes); NaN matches NaN. The message gives
   * the first offending index with both values.
   */
  protected static void assertClose(String what, Reference.Result expected, float[] actual,
      double rtol, double atol) {
    double[] e = expected.values();
    assertEquals(e.length, actual.length, what + ": length");
    for (int i = 0; i < e.length; i++) {
      if (Double.isNaN(e[i]) && Float.isNaN(actual[i])) {
        continue;
      }
      double err = Math.abs(actual[i] - e[i]);
      double tol = atol + rtol * expected.scale()[i];
      if (!(err <= tol)) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + e[i] + " (error " + err
            + " > tolerance " + tol + ")");
      }
    }
  }

  protected static void assertMessage(Throwable t, String... parts) {
    for (String p : parts) {
      assertTrue(String.valueOf(t.getMessage()).contains(p),
          "message should name '" + p + "': " + t.getMessage());
    }
  }
}
