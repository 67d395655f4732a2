package io.zbmd.cluster.internal;

/**
 * Which chunk a rank sends and receives at each step of a ring all-reduce, and how chunks split
 * into segments. The array range splits into {@code n} chunks; at global step {@code t} (0 to
 * 2(n-1)-1) rank {@code r} sends chunk {@code (r - t) mod n} and receives chunk {@code (r - t - 1)
 * mod n}, adding it during the first n-1 steps (reduce-scatter, after which rank r owns the sum of
 * chunk r+1) and overwriting with it afterwards (all-gather). What a rank sends at step t is what
 * it received at step t-1, segment for segment, which lets sending trail receiving closely.
 */
public final class RingPlan {
  private final int rank;
  private final int n;
  private final int offset;
  private final int length;
  private final int segmentFloats;

  public RingPlan(int rank, int n, int offset, int length, int segmentFloats) {
    this.rank = rank;
    this.n = n;
    this.offset = offset;
    this.length = length;
    this.segmentFloats = segmentFloats;
  }

  public int steps() {
    return 2 * (n - 1);
  }

  public int sendChunk(int step) {
    return Math.floorMod(rank - step, n);
  }

  public int receiveChunk(int step) {
    return Math.floorMod(rank - step - 1, n);
  }

  /** True during reduce-scatter: the received segment is added, not copied. */
  public boolean reduces(int step) {
    return step < n - 1;
  }

  /** Segments the rank sends at step 0 (its own chunk): the lag between send and receive order. */
  public int firstStepSegments() {
    return segments(sendChunk(0));
  }

  public int chunkStart(int chunk) {
    return offset + (int) ((long) length * chunk / n);
  }

  public int chunkLength(int chunk) {
    return chunkStart(chunk + 1) - chunkStart(chunk);
  }

  public int segments(int chunk) {
    return (chunkLength(chunk) + segmentFloats - 1) / segmentFloats;
  }

  public int segmentStart(int chunk, int segment) {
    return chunkStart(chunk) + segment * segmentFloats;
  }

  public int segmentLength(int chunk, int segment) {
    return Math.min(segmentFloats, chunkLength(chunk) - segment * segmentFloats);
  }
}
