package io.zbmd.benchmarks.messaging;

import io.zbmd.benchmarks.messaging.internal.FanIn;
import io.zbmd.benchmarks.messaging.internal.PingPong;
import io.zbmd.benchmarks.messaging.internal.Ring;
import io.zbmd.benchmarks.messaging.internal.Spawner;
import io.zbmd.benchmarks.messaging.internal.TellLatency;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;

/**
 * Measures actor messaging with zbmd's default configuration and with plain Pekko defaults, in one
 * JVM: ping-pong (one pair), a ring (one token), fan-in (senders into one receiver) and one-way
 * tell latency.
 *
 * <p>One ActorSystem per variant is started, one after the other, and lives for the whole run. A
 * round runs each workload on every variant back to back, so that the figures compared were taken
 * seconds apart under the same load; the order of the variants changes from round to round (AB,
 * BA, BA, AB...) so that neither is favoured by going first or by what ran before it. Warm-up
 * rounds run first and are discarded. A throughput's summary is the median over the measured
 * rounds and its advantage over Pekko the median of the per-round ratios; a latency percentile is
 * taken over the samples of all measured rounds pooled.
 *
 * <pre>{@code
 * MessagingReport report = MessagingBenchmark.run(Options.defaults());
 * report.print(System.out);
 * report.writeJson(Path.of("messaging.json"));
 * }</pre>
 *
 * <p>From a shell: {@code java -cp ... io.zbmd.benchmarks.messaging.MessagingBenchmark [--quick]
 * [--json FILE] [--rounds N] [--warmup N] [--scale F] [--variant NAME=HOCON]... [--only A,B]}.
 */
public final class MessagingBenchmark {
  // Started in every system before the measured workloads, so that pool threads exist.
  private static final long SYSTEM_WARMUP_ROUND_TRIPS = 20_000;
  private static final int LATENCY_SLICES = 10;

  private MessagingBenchmark() {}

  /** Runs the benchmark silently. */
  public static MessagingReport run(Options options) {
    return run(options, line -> {});
  }

  /** Runs the benchmark, telling {@code progress} about each round as it ends. */
  public static MessagingReport run(Options options, Consumer<String> progress) {
    MachineInfo machine = MachineInfo.current();
    long start = System.nanoTime();
    List<Variant> variants = options.variants();
    List<RoundResult> rounds = new ArrayList<>();
    Map<String, List<long[]>> latencies = new LinkedHashMap<>();
    Map<String, ActorSystem<SpawnProtocol.Command>> systems = new LinkedHashMap<>();
    try {
      for (Variant v : variants) {
        ActorSystem<SpawnProtocol.Command> system =
            v.start(SpawnProtocol.create(), "bench-" + v.name().replaceAll("[^\\w-]", "_"));
        systems.put(v.name(), system);
        PingPong.run(new Spawner(system), SYSTEM_WARMUP_ROUND_TRIPS);
      }
      int total = options.warmupRounds() + options.rounds();
      for (int round = 1; round <= total; round++) {
        boolean warmup = round <= options.warmupRounds();
        List<RoundResult> results = measureRound(round, warmup, options, systems, (v, samples) -> {
          if (!warmup) {
            latencies.computeIfAbsent(v, k -> new ArrayList<>()).add(samples);
          }
        });
        results.forEach(r -> progress.accept(describe(r)));
        rounds.addAll(results);
      }
    } finally {
      systems.values().forEach(ActorSystem::terminate);
      systems.values().forEach(s -> s.getWhenTerminated().toCompletableFuture().join());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new MessagingReport(
        "messaging",
        machine,
        MachineInfo.currentLoadAverage(),
        seconds,
        options,
        variants.stream().map(VariantSettings::of).toList(),
        rounds,
        MessagingReport.summarize(rounds, variants, pool(latencies)));
  }

  /**
   * Runs each workload on every variant back to back, so that the figures compared were taken
   * seconds apart, under the same load from other processes.
   */
  private static List<RoundResult> measureRound(int round, boolean warmup, Options o,
      Map<String, ActorSystem<SpawnProtocol.Command>> systems,
      BiConsumer<String, long[]> latencies) {
    List<Variant> order = order(o.variants(), round);
    Map<String, Map<String, Double>> figures = new LinkedHashMap<>();
    Map<String, Double> load = new LinkedHashMap<>();
    for (Workload workload : Workload.values()) {
      for (Variant v : order) {
        // Garbage left by the previous run is collected now, not during this one.
        System.gc();
        load.putIfAbsent(v.name(), MachineInfo.currentLoadAverage());
        figures.computeIfAbsent(v.name(), k -> new LinkedHashMap<>())
            .putAll(workload.measure(new Spawner(systems.get(v.name())), o));
      }
    }
    Map<String, long[]> sampled = measureLatency(order, o, systems);
    sampled.forEach((name, sorted) -> {
      latencies.accept(name, sorted);
      Map<String, Double> f = figures.get(name);
      for (Figure figure : Figure.values()) {
        if (figure.isLatencyPercentile()) {
          f.put(figure.key(), (double) TellLatency.quantile(sorted, figure.quantile()));
        }
      }
    });
    List<RoundResult> results = new ArrayList<>();
    for (int position = 0; position < order.size(); position++) {
      String name = order.get(position).name();
      results.add(
          new RoundResult(round, warmup, position, name, load.get(name), figures.get(name)));
    }
    return results;
  }

  /**
   * One-way latency samples of each variant, sorted. They are taken in {@value #LATENCY_SLICES}
   * slices that alternate between the variants (AB, BA...): the latency of waking a thread drifts
   * between modes (about 2, 10 and 40 us here) over seconds with the machine's state, and slices
   * let every variant see each mode as often.
   */
  private static Map<String, long[]> measureLatency(
      List<Variant> order, Options o, Map<String, ActorSystem<SpawnProtocol.Command>> systems) {
    int perSlice = Math.max(1, o.latencySamples() / LATENCY_SLICES);
    Map<String, List<long[]>> slices = new LinkedHashMap<>();
    for (int slice = 0; slice < LATENCY_SLICES; slice++) {
      List<Variant> sliceOrder = new ArrayList<>(order);
      if (slice % 2 == 1) {
        Collections.reverse(sliceOrder);
      }
      for (Variant v : sliceOrder) {
        Spawner spawner = new Spawner(systems.get(v.name()));
        slices.computeIfAbsent(v.name(), k -> new ArrayList<>())
            .add(TellLatency.run(spawner, perSlice, o.latencyPauseMicros()));
      }
    }
    return pool(slices);
  }

  /**
   * The variants in the order round {@code round} runs them: rotated every other round and
   * reversed in between, so that each variant runs first, last and after each other one as often
   * (for two variants: AB, BA, BA, AB...).
   */
  static List<Variant> order(List<Variant> variants, int round) {
    List<Variant> order = new ArrayList<>(variants);
    Collections.rotate(order, round / 2);
    if (round % 2 == 1) {
      Collections.reverse(order);
    }
    return order;
  }

  /** The throughput measurements, each giving its figures. */
  private enum Workload {
    PING_PONG {
      @Override
      Map<String, Double> measure(Spawner spawner, Options o) {
        long nanos = PingPong.run(spawner, o.pingPongRoundTrips());
        return Map.of(
            Figure.PING_PONG_ROUND_TRIPS_PER_S.key(), perSecond(o.pingPongRoundTrips(), nanos),
            Figure.PING_PONG_ROUND_TRIP_NS.key(), (double) nanos / o.pingPongRoundTrips());
      }
    },
    RING {
      @Override
      Map<String, Double> measure(Spawner spawner, Options o) {
        long nanos = Ring.run(spawner, o.ringActors(), o.ringHops());
        return Map.of(Figure.RING_HOPS_PER_S.key(), perSecond(o.ringHops(), nanos));
      }
    },
    FAN_IN {
      @Override
      Map<String, Double> measure(Spawner spawner, Options o) {
        long nanos = FanIn.run(spawner, o.fanInSenders(), o.fanInMessagesPerSender());
        long messages = o.fanInSenders() * o.fanInMessagesPerSender();
        return Map.of(Figure.FAN_IN_MSGS_PER_S.key(), perSecond(messages, nanos));
      }
    };

    abstract Map<String, Double> measure(Spawner spawner, Options o);
  }

  private static Map<String, long[]> pool(Map<String, List<long[]>> latencies) {
    Map<String, long[]> pooled = new LinkedHashMap<>();
    latencies.forEach((v, runs) ->
        pooled.put(v, runs.stream().flatMapToLong(Arrays::stream).sorted().toArray()));
    return pooled;
  }

  private static double perSecond(long count, long nanos) {
    return count * 1e9 / nanos;
  }

  private static String describe(RoundResult r) {
    return String.format(
        "%s %d %-10s load %.2f: ping-pong %.3f M/s, ring %.3f M/s, fan-in %.3f M/s, "
            + "latency p50/p99/p99.9 %.1f/%.1f/%.1f us",
        r.warmup() ? "warm-up" : "round  ", r.round(), r.variant(), r.loadAverage(),
        r.value(Figure.PING_PONG_ROUND_TRIPS_PER_S) / 1e6, r.value(Figure.RING_HOPS_PER_S) / 1e6,
        r.value(Figure.FAN_IN_MSGS_PER_S) / 1e6, r.value(Figure.TELL_LATENCY_P50_NS) / 1e3,
        r.value(Figure.TELL_LATENCY_P99_NS) / 1e3, r.value(Figure.TELL_LATENCY_P999_NS) / 1e3);
  }

  /** Runs from a shell; progress goes to stderr, the summary to stdout. */
  public static void main(String[] args) throws IOException {
    CommandLineArgs cli = CommandLineArgs.parse(args);
    if (cli.help()) {
      System.out.println(CommandLineArgs.USAGE);
      return;
    }
    MessagingReport report = run(cli.options(), System.err::println);
    report.print(System.out);
    if (cli.json() != null) {
      report.writeJson(cli.json());
      System.out.println("JSON written to " + cli.json());
    }
  }

  /** The parsed command line of {@link #main}. */
  record CommandLineArgs(Options options, Path json, boolean help) {
    static final String USAGE = String.join("\n",
        "usage: MessagingBenchmark [--quick] [--json FILE] [--rounds N] [--warmup N] [--scale F]",
        "                          [--variant NAME=HOCON]... [--only NAME,NAME...]",
        "  --quick            small sizes, 1 warm-up + 2 rounds (~10 s smoke test)",
        "  --json FILE        write every round, the summary and machine info as JSON",
        "  --rounds N         measured rounds (default 5)",
        "  --warmup N         discarded warm-up rounds (default 2)",
        "  --scale F          multiply every workload's length by F (rounds stay)",
        "  --variant N=HOCON  also measure zbmd defaults with HOCON on top, named N",
        "  --only A,B         measure only the named variants (zbmd, pekko, or --variant names)");

    static CommandLineArgs parse(String[] args) {
      Options options = Options.defaults();
      List<Variant> extra = new ArrayList<>();
      List<String> only = null;
      Integer rounds = null;
      Integer warmup = null;
      Path json = null;
      double scale = 1;
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        switch (arg) {
          case "--quick" -> options = Options.quick();
          case "--json" -> json = Path.of(value(args, ++i, arg));
          case "--rounds" -> rounds = Integer.parseInt(value(args, ++i, arg));
          case "--warmup" -> warmup = Integer.parseInt(value(args, ++i, arg));
          case "--scale" -> scale = Double.parseDouble(value(args, ++i, arg));
          case "--only" -> only = List.of(value(args, ++i, arg).split(","));
          case "--variant" -> {
            String spec = value(args, ++i, arg);
            int eq = spec.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--variant wants NAME=HOCON, got: " + spec);
            }
            extra.add(Variant.zbmd(spec.substring(0, eq), spec.substring(eq + 1)));
          }
          case "-h", "--help" -> {
            return new CommandLineArgs(options, null, true);
          }
          default -> throw new IllegalArgumentException("unknown argument: " + arg + "\n" + USAGE);
        }
      }
      for (Variant v : extra) {
        options = options.plusVariant(v);
      }
      if (only != null) {
        List<String> wanted = only;
        options = options.withVariants(
            options.variants().stream().filter(v -> wanted.contains(v.name())).toList());
      }
      options = options.scaled(scale).withRounds(
          warmup != null ? warmup : options.warmupRounds(),
          rounds != null ? rounds : options.rounds());
      return new CommandLineArgs(options, json, false);
    }

    private static String value(String[] args, int i, String flag) {
      if (i >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return args[i];
    }
  }
}
