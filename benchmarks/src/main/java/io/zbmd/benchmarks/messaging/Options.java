package io.zbmd.benchmarks.messaging;

import java.util.ArrayList;
import java.util.List;

/**
 * What the messaging benchmark runs: sizes, rounds and the configurations compared.
 *
 * <pre>{@code
 * Options quick = Options.quick();
 * Options tuning = Options.defaults().withVariants(List.of(
 *     Variant.zbmd(), Variant.pekko(),
 *     Variant.zbmd("tp50", "pekko.actor.default-dispatcher.throughput = 50")));
 * }</pre>
 *
 * @param warmupRounds rounds run first and discarded (JIT, class loading, pool start-up)
 * @param rounds measured rounds; each runs every workload on every variant
 * @param pingPongRoundTrips round trips of the one ping-pong pair
 * @param ringActors actors in the ring
 * @param ringHops hops of the one token around the ring
 * @param fanInSenders sender actors feeding the one receiver
 * @param fanInMessagesPerSender messages each sender sends
 * @param latencySamples one-way tells timed per round
 * @param latencyPauseMicros pause between two timed tells, so that the figure is latency, not
 *     queueing
 * @param variants configurations compared; the one named {@value Variant#PEKKO_NAME} is the
 *     baseline
 */
public record Options(
    int warmupRounds,
    int rounds,
    long pingPongRoundTrips,
    int ringActors,
    long ringHops,
    int fanInSenders,
    long fanInMessagesPerSender,
    int latencySamples,
    long latencyPauseMicros,
    List<Variant> variants) {

  public Options {
    variants = List.copyOf(variants);
    if (rounds < 1 || warmupRounds < 0) {
      throw new IllegalArgumentException("rounds must be >= 1 and warmupRounds >= 0");
    }
    if (variants.stream().map(Variant::name).distinct().count() != variants.size()) {
      throw new IllegalArgumentException("variant names must differ: " + variants);
    }
  }

  /** The full run (about 1.5 minutes on 2 quiet cores): the sizes docs/benchmarks.md quotes. */
  public static Options defaults() {
    return new Options(
        2, 5, 1_000_000, 1_000, 2_000_000, 2, 5_000_000, 10_000, 50,
        List.of(Variant.zbmd(), Variant.pekko()));
  }

  /** A smoke test of 5 to 10 seconds; its figures are indicative only. */
  public static Options quick() {
    return new Options(
        1, 2, 100_000, 1_000, 200_000, 2, 250_000, 2_000, 50,
        List.of(Variant.zbmd(), Variant.pekko()));
  }

  public Options withRounds(int warmup, int measured) {
    return new Options(warmup, measured, pingPongRoundTrips, ringActors, ringHops, fanInSenders,
        fanInMessagesPerSender, latencySamples, latencyPauseMicros, variants);
  }

  public Options withSizes(long pingPong, int ringSize, long hops, long fanInPerSender,
      int samples) {
    return new Options(warmupRounds, rounds, pingPong, ringSize, hops, fanInSenders,
        fanInPerSender, samples, latencyPauseMicros, variants);
  }

  /** Every workload's length times {@code factor}; the ring keeps its size. */
  public Options scaled(double factor) {
    return new Options(warmupRounds, rounds, Math.round(pingPongRoundTrips * factor), ringActors,
        Math.round(ringHops * factor), fanInSenders, Math.round(fanInMessagesPerSender * factor),
        (int) Math.round(latencySamples * factor), latencyPauseMicros, variants);
  }

  public Options withVariants(List<Variant> newVariants) {
    return new Options(warmupRounds, rounds, pingPongRoundTrips, ringActors, ringHops,
        fanInSenders, fanInMessagesPerSender, latencySamples, latencyPauseMicros, newVariants);
  }

  /** These options plus {@code extra} after the existing variants. */
  public Options plusVariant(Variant extra) {
    List<Variant> all = new ArrayList<>(variants);
    all.add(extra);
    return withVariants(all);
  }
}
