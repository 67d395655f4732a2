package io.zbmd.cluster;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** N ranks of a ring in one JVM over loopback, each on its own thread: the tests' fixture. */
final class LocalRing implements AutoCloseable {
  final List<RingCollective> ranks;
  private final ExecutorService threads;

  private LocalRing(List<RingCollective> ranks, ExecutorService threads) {
    this.ranks = ranks;
    this.threads = threads;
  }

  static LocalRing form(int n, DataPlaneSettings settings) throws Exception {
    List<RingCollective.Endpoint> endpoints = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      RingCollective.Endpoint e = RingCollective.bind(new InetSocketAddress("127.0.0.1", 0));
      endpoints.add(e);
      addresses.add(e.address());
    }
    ExecutorService threads = Executors.newFixedThreadPool(n);
    List<CompletableFuture<RingCollective>> joins = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      int rank = r;
      joins.add(CompletableFuture.supplyAsync(
          () -> endpoints.get(rank).join(rank, addresses, settings), threads));
    }
    List<RingCollective> ranks = new ArrayList<>();
    for (CompletableFuture<RingCollective> j : joins) {
      ranks.add(j.get(30, TimeUnit.SECONDS));
    }
    return new LocalRing(ranks, threads);
  }

  /** Runs {@code allReduceSum} on every rank at once, on its own array. */
  List<CompletableFuture<Void>> allReduce(List<float[]> data) {
    List<CompletableFuture<Void>> calls = new ArrayList<>();
    for (int r = 0; r < ranks.size(); r++) {
      RingCollective rank = ranks.get(r);
      float[] d = data.get(r);
      calls.add(CompletableFuture.runAsync(() -> rank.allReduceSum(d, 0, d.length), threads));
    }
    return calls;
  }

  @Override
  public void close() {
    ranks.forEach(RingCollective::close);
    threads.shutdownNow();
  }
}
