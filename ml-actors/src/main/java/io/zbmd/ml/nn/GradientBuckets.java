package io.zbmd.ml.nn;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.Ops;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's gradients in a few contiguous buckets, as PyTorch DDP keeps them: parameters are laid
 * out in reverse order (backward produces the last layer's gradients first), a bucket is closed
 * once it holds {@code capBytes}, and every parameter's {@link Parameter#grad()} becomes a slice
 * of its bucket. Exchanging gradients (an all-reduce, an average of two replicas) then costs one
 * copy per bucket, not one per parameter.
 *
 * <p>Each parameter starts at a multiple of {@link DeviceBuffer#SLICE_ALIGNMENT} elements; the
 * gaps between them are zero and stay zero, so a sum or a scale of whole buckets is still the sum
 * or scale of the gradients.
 *
 * <pre>{@code
 * GradientBuckets buckets = GradientBuckets.create(ops, alloc, model.parameters(), 25 << 20);
 * // ... backward passes write into the buckets through the parameters' gradients
 * List<float[]> host = buckets.toHost(ops);   // one copy per bucket
 * buckets.fromHost(ops, averaged);            // and back
 * }</pre>
 */
public final class GradientBuckets implements AutoCloseable {
  /** Where one parameter's gradient lies: bucket {@code bucket}, elements from {@code offset}. */
  public record Slot(String parameter, int bucket, long offset, long numel) {}

  private final List<Tensor> buckets;
  private final List<Slot> slots;
  private boolean closed;

  private GradientBuckets(List<Tensor> buckets, List<Slot> slots) {
    this.buckets = buckets;
    this.slots = slots;
  }

  /**
   * Moves the gradients of {@code parameters} (in the model's order) into buckets of about {@code
   * capBytes} each (a parameter larger than that gets a bucket of its own).
   */
  public static GradientBuckets create(
      Ops ops, Allocator alloc, Map<String, Parameter> parameters, long capBytes) {
    Objects.requireNonNull(parameters, "parameters");
    if (capBytes <= 0) {
      throw new IllegalArgumentException("gradient bucket cap must be > 0 bytes, got " + capBytes);
    }
    List<String> names = new ArrayList<>(parameters.keySet());
    Collections.reverse(names);
    List<Slot> slots = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    long used = 0;
    int bucket = 0;
    for (String name : names) {
      long n = parameters.get(name).numel();
      if (used > 0 && (used + n) * DType.FLOAT32.byteSize() > capBytes) {
        sizes.add(used);
        bucket++;
        used = 0;
      }
      slots.add(new Slot(name, bucket, used, n));
      used = align(used + n);
    }
    sizes.add(used);
    List<Tensor> buckets = new ArrayList<>();
    try {
      for (int b = 0; b < sizes.size(); b++) {
        buckets.add(
            Tensor.zeros(ops, alloc, "gradients.bucket" + b, Math.toIntExact(sizes.get(b))));
      }
      for (Slot s : slots) {
        Parameter p = parameters.get(s.parameter());
        DeviceBuffer view =
            buckets.get(s.bucket()).buffer().slice(s.offset(), s.numel(), s.parameter() + ".grad");
        p.useGradient(ops, Tensor.wrap(view, p.shape()));
      }
    } catch (RuntimeException e) {
      // Parameters that moved keep their slice (and so the bucket's storage) until they are freed.
      buckets.forEach(Tensor::release);
      throw e;
    }
    return new GradientBuckets(List.copyOf(buckets), List.copyOf(slots));
  }

  private static long align(long n) {
    int a = DeviceBuffer.SLICE_ALIGNMENT;
    return (n + a - 1) / a * a;
  }

  /** The buckets, each a FLOAT32 vector; writing one writes the parameters' gradients. */
  public List<Tensor> buckets() {
    check();
    return buckets;
  }

  /** Where each parameter's gradient lies, in bucket order. */
  public List<Slot> slots() {
    return slots;
  }

  /** Elements per bucket, gaps included. */
  public long[] sizes() {
    long[] out = new long[buckets.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = buckets.get(i).numel();
    }
    return out;
  }

  /** Sets every gradient to zero: one fill per bucket. */
  public void zero(Ops ops) {
    check();
    for (Tensor b : buckets) {
      b.fill(ops, 0f);
    }
  }

  /** Multiplies every gradient by {@code factor} (1 does nothing). */
  public void scale(Ops ops, float factor) {
    check();
    if (factor == 1f) {
      return;
    }
    for (Tensor b : buckets) {
      ops.affine(b.buffer(), b.buffer(), b.numel(), factor, 0f);
    }
  }

  /** Host copies of the buckets, valid once the work that called this has completed. */
  public List<float[]> toHost(Ops ops) {
    check();
    List<float[]> out = new ArrayList<>(buckets.size());
    for (Tensor b : buckets) {
      out.add(b.toHost(ops));
    }
    return out;
  }

  /**
   * Overwrites the buckets with {@code values} (as {@link #toHost} gives them).
   *
   * @throws IllegalArgumentException when the count or a size differs; nothing is written then
   */
  public void fromHost(Ops ops, List<float[]> values) {
    check();
    if (values.size() != buckets.size()) {
      throw new IllegalArgumentException(
          "expected " + buckets.size() + " gradient buckets, got " + values.size());
    }
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).length != buckets.get(i).numel()) {
        throw new IllegalArgumentException(
            "gradient bucket "
                + i
                + " holds "
                + buckets.get(i).numel()
                + " values, got "
                + values.get(i).length);
      }
    }
    for (int i = 0; i < values.size(); i++) {
      buckets.get(i).fromHost(ops, values.get(i));
    }
  }

  private void check() {
    if (closed) {
      throw new IllegalStateException("gradient buckets were closed");
    }
  }

  /** Gives back the buckets' references; the parameters' slices keep the storage until freed. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      buckets.forEach(Tensor::release);
    }
  }
}
