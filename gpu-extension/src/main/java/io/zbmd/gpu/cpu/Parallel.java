package io.zbmd.gpu.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits a loop over independent items (output elements, rows, planes) across the backend's pool
 * once it is worth it. Each item is computed whole by one thread, in the same order of float
 * operations whatever the split: that is what keeps the CPU backend deterministic for any thread
 * count and threshold. Kernels validate everything before calling {@link #forEach}, so that no
 * exception is thrown from a pool thread (ForkJoin would rewrap it).
 */
final class Parallel {
  /** The loop body over items {@code [from, to)}. */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  private final ForkJoinPool pool;
  private final long threshold;

  Parallel(ForkJoinPool pool, long threshold) {
    this.pool = pool;
    this.threshold = threshold;
  }

  /**
   * Runs {@code body} over {@code [0, count)}: inline when {@code count * workPerItem} is at most
   * the threshold, else in up to four chunks per thread (a little slack for uneven chunks).
   */
  void forEach(int count, long workPerItem, Range body) {
    int threads = pool.getParallelism();
    long work = count * Math.max(1, workPerItem);
    if (count < 2 || threads < 2 || work <= threshold) {
      body.run(0, count);
      return;
    }
    long parts = Math.min(Math.min(count, threads * 4L), (work + threshold - 1) / threshold);
    int grain = (int) ((count + parts - 1) / parts);
    pool.invoke(new Split(body, 0, count, grain));
  }

  private static final class Split extends RecursiveAction {
    private final Range body;
    private final int from;
    private final int to;
    private final int grain;

    Split(Range body, int from, int to, int grain) {
      this.body = body;
      this.from = from;
      this.to = to;
      this.grain = grain;
    }

    @Override
    protected void compute() {
      if (to - from <= grain) {
        body.run(from, to);
        return;
      }
      int mid = from + (to - from) / 2;
      invokeAll(new Split(body, from, mid, grain), new Split(body, mid, to, grain));
    }
  }
}
