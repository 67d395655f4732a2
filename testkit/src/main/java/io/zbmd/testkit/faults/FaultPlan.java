package io.zbmd.testkit.faults;

import com.typesafe.config.Config;
import io.zbmd.gpu.Ops;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a {@link FaultInjectingBackend} injects, and the seed that makes it reproducible: the same
 * plan and the same sequence of calls give exactly the same faults. Whether op {@code i} of device
 * {@code d} fails is a pure function of {@code (seed, d, i)} (a SplitMix64 hash, no shared random
 * stream), so neither timing nor other devices running concurrently can change it. {@link
 * #toString()} prints the plan in config syntax, seed included, so a failing test can be replayed.
 *
 * <pre>{@code
 * FaultPlan plan = FaultPlan.builder().seed(42).failureProbability(0.1).ops("gemm").build();
 * Backend faulty = FaultInjectingBackend.wrap(cpu, plan);
 * }</pre>
 *
 * @param seed seeds the failure draws
 * @param failureProbability probability, 0 to 1, that an op fails with a {@link
 *     io.zbmd.gpu.KernelException} before it runs
 * @param ops primitive op names (Ops method names, see {@link #OPS}) that {@code
 *     failureProbability} applies to; empty means all ops
 * @param oomAfterBytes per device: an allocation fails with {@link
 *     io.zbmd.gpu.DeviceOutOfMemoryException} when the bytes allocated on that device in total
 *     (frees do not give bytes back) would exceed this; -1 turns it off
 * @param lostAtOp per device: the op index (from 0, counting every op on that device) at which the
 *     device is lost for good; -1 turns it off
 */
public record FaultPlan(
    long seed, double failureProbability, Set<String> ops, long oomAfterBytes, long lostAtOp) {

  /** Names of the primitive ops, the only names {@link #ops} accepts. */
  public static final SortedSet<String> OPS = opNames(false);

  // Composites count as the primitives they call (see FaultInjectingBackend), so naming one in
  // `ops` would silently match nothing: it is rejected instead.
  private static final SortedSet<String> COMPOSITES = opNames(true);

  public FaultPlan {
    if (!(failureProbability >= 0 && failureProbability <= 1)) {
      throw new IllegalArgumentException(
          "failure-probability must be between 0 and 1, got " + failureProbability);
    }
    if (oomAfterBytes < -1) {
      throw new IllegalArgumentException(
          "oom-after-bytes must be >= 0, or -1 for off, got " + oomAfterBytes);
    }
    if (lostAtOp < -1) {
      throw new IllegalArgumentException("lost-at-op must be >= 0, or -1 for off, got " + lostAtOp);
    }
    ops = Collections.unmodifiableSortedSet(new TreeSet<>(ops));
    for (String op : ops) {
      if (COMPOSITES.contains(op)) {
        throw new IllegalArgumentException(
            "ops: "
                + op
                + " is a composite, which counts as the"
                + " primitives it calls; name those instead (one of "
                + OPS
                + ")");
      }
      if (!OPS.contains(op)) {
        throw new IllegalArgumentException("ops: unknown op '" + op + "'; known: " + OPS);
      }
    }
  }

  /** A plan that injects nothing (seed 1): the wrapped backend behaves as the delegate. */
  public static FaultPlan none() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads a {@code zbmd.gpu.faulty} block; missing keys take the defaults of {@link #none()}, which
   * testkit's {@code reference.conf} documents. {@code oom-after-bytes} accepts size units ({@code
   * 64m}).
   */
  public static FaultPlan fromConfig(Config c) {
    FaultPlan d = none();
    return new FaultPlan(
        c.hasPath("seed") ? c.getLong("seed") : d.seed(),
        c.hasPath("failure-probability")
            ? c.getDouble("failure-probability")
            : d.failureProbability(),
        c.hasPath("ops") ? Set.copyOf(c.getStringList("ops")) : d.ops(),
        c.hasPath("oom-after-bytes") ? oomAfterBytes(c) : d.oomAfterBytes(),
        c.hasPath("lost-at-op") ? c.getLong("lost-at-op") : d.lostAtOp());
  }

  private static long oomAfterBytes(Config c) {
    // getBytes refuses negative sizes, so the "off" value is read as a number first.
    return c.getValue("oom-after-bytes").unwrapped() instanceof Number n && n.longValue() == -1
        ? -1
        : c.getBytes("oom-after-bytes");
  }

  /** True when {@link #failureProbability} applies to {@code op}. */
  public boolean appliesTo(String op) {
    return ops.isEmpty() || ops.contains(op);
  }

  /** The uniform draw in [0, 1) for op {@code opIndex} of device {@code deviceIndex}. */
  double draw(int deviceIndex, long opIndex) {
    long z =
        mix64(
            seed ^ mix64(0x9E3779B97F4A7C15L * (opIndex + 1) + 0xC2B2AE3D27D4EB4FL * deviceIndex));
    return (z >>> 11) * 0x1.0p-53;
  }

  // SplitMix64's finalizer (as java.util.SplittableRandom): a strong 64-bit mix.
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The plan in config syntax: paste the braces into {@code zbmd.gpu.faulty} to replay it. */
  @Override
  public String toString() {
    return "FaultPlan{seed = "
        + seed
        + ", failure-probability = "
        + failureProbability
        + ", ops = "
        + ops
        + ", oom-after-bytes = "
        + oomAfterBytes
        + ", lost-at-op = "
        + lostAtOp
        + "}";
  }

  private static SortedSet<String> opNames(boolean composites) {
    return Collections.unmodifiableSortedSet(
        Arrays.stream(Ops.class.getMethods())
            .filter(m -> !Modifier.isStatic(m.getModifiers()) && m.isDefault() == composites)
            .map(Method::getName)
            .filter(name -> !name.equals("device"))
            .collect(Collectors.toCollection(TreeSet::new)));
  }

  /** Builds a {@link FaultPlan}; unset fields keep the defaults of {@link FaultPlan#none()}. */
  public static final class Builder {
    private long seed = 1;
    private double failureProbability;
    private Set<String> ops = Set.of();
    private long oomAfterBytes = -1;
    private long lostAtOp = -1;

    private Builder() {}

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder failureProbability(double p) {
      this.failureProbability = p;
      return this;
    }

    /** Limits {@link #failureProbability} to these ops (none given: all ops). */
    public Builder ops(String... names) {
      this.ops = Set.copyOf(List.of(names));
      return this;
    }

    public Builder oomAfterBytes(long bytes) {
      this.oomAfterBytes = bytes;
      return this;
    }

    public Builder lostAtOp(long opIndex) {
      this.lostAtOp = opIndex;
      return this;
    }

    public FaultPlan build() {
      return new FaultPlan(seed, failureProbability, ops, oomAfterBytes, lostAtOp);
    }
  }
}
