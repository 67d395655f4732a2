package io.zbmd.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.cpu.CpuBackendProvider;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What the tests of this module need: the CPU backend (deterministic, so bit-for-bit comparisons
 * hold), an {@link Allocator} that remembers what it handed out (so a test can check that closing a
 * module releases everything), a {@link #run} that submits a work and waits for it, and host
 * comparisons with explicit tolerances.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class MlTestSupport {
  /** These small works take milliseconds; a hung stream fails the test within this. */
  protected static final long TIMEOUT_SECONDS = 30;

  protected Backend backend;
  protected DeviceId device;
  protected DeviceStream stream;
  protected TrackingAllocator alloc;

  @BeforeAll
  void openBackend() {
    backend = new CpuBackendProvider().create(ConfigFactory.empty());
    device = backend.devices().get(0).id();
    stream = backend.stream(device);
    alloc = new TrackingAllocator(Allocator.of(backend, device, getClass().getSimpleName()));
  }

  @AfterAll
  void closeBackend() {
    if (backend != null) {
      backend.close();
    }
  }

  /** An allocator that counts what it allocated and what is still live. */
  public static final class TrackingAllocator implements Allocator {
    private final Allocator inner;
    private final List<DeviceBuffer> handedOut = new ArrayList<>();

    TrackingAllocator(Allocator inner) {
      this.inner = inner;
    }

    @Override
    public DeviceId device() {
      return inner.device();
    }

    @Override
    public synchronized DeviceBuffer allocate(DType dtype, long elements, String what) {
      DeviceBuffer b = inner.allocate(dtype, elements, what);
      handedOut.add(b);
      return b;
    }

    /** Buffers allocated so far. */
    public synchronized int allocations() {
      return handedOut.size();
    }

    /** Buffers allocated and not yet freed, with what they hold. */
    public synchronized List<String> live() {
      List<String> out = new ArrayList<>();
      for (DeviceBuffer b : handedOut) {
        if (!b.isFreed()) {
          out.add(b.lastTouch() + " " + b);
        }
      }
      return out;
    }
  }

  // ---- running work ----

  /** Submits {@code work} and waits; a failed stage rethrows its cause. */
  protected <T> T run(DeviceStream.Work<T> work) {
    try {
      return submit(work).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = unwrap(e.getCause());
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new AssertionError("stage failed: " + cause, cause);
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("stage did not complete within " + TIMEOUT_SECONDS + " s", e);
    }
  }

  private <T> CompletableFuture<T> submit(DeviceStream.Work<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    stream
        .submit(work)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                f.completeExceptionally(e);
              } else {
                f.complete(v);
              }
            });
    return f;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  // ---- tensors ----

  protected Tensor upload(float[] values, int... shape) {
    return run(ops -> Tensor.of(ops, alloc, "test input", values, shape));
  }

  protected Tensor uploadInts(int[] values, int... shape) {
    return run(ops -> Tensor.of(ops, alloc, "test labels", values, shape));
  }

  protected float[] download(Tensor t) {
    return run(t::toHost);
  }

  // ---- data ----

  protected static float[] uniform(java.util.SplittableRandom rnd, int n, double lo, double hi) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    }
    return x;
  }

  // ---- comparisons ----

  /**
   * Passes when every {@code |actual - expected| <= atol + rtol * max(|actual|, |expected|)}; the
   * message names the first offending index.
   */
  protected static void assertClose(
      String what, double[] expected, float[] actual, double rtol, double atol) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      double tol = atol + rtol * Math.max(Math.abs(actual[i]), Math.abs(expected[i]));
      if (!(err <= tol)) {
        fail(
            what
                + ": element "
                + i
                + " is "
                + actual[i]
                + ", expected "
                + expected[i]
                + " (error "
                + err
                + " > tolerance "
                + tol
                + ")");
      }
    }
  }

  protected static void assertClose(
      String what, float[] expected, float[] actual, double rtol, double atol) {
    double[] e = new double[expected.length];
    for (int i = 0; i < e.length; i++) {
      e[i] = expected[i];
    }
    assertClose(what, e, actual, rtol, atol);
  }
}
