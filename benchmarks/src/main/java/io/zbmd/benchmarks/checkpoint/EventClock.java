package io.zbmd.benchmarks.checkpoint;

import io.zbmd.ml.training.TrainingSupervisor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Stamps each training event with {@link System#nanoTime()} as it arrives. */
final class EventClock {
  record Stamped(long nanos, TrainingSupervisor.Event event) {}

  final List<Stamped> events = new CopyOnWriteArrayList<>();

  Behavior<TrainingSupervisor.Event> behavior() {
    return Behaviors.receive(TrainingSupervisor.Event.class)
        .onAnyMessage(
            e -> {
              events.add(new Stamped(System.nanoTime(), e));
              return Behaviors.same();
            })
        .build();
  }

  /** Nanoseconds between consecutive steps, keyed by the later step's number. */
  long[] stepIntervals(java.util.function.LongPredicate afterStep) {
    long previous = -1;
    long previousStep = -1;
    java.util.List<Long> out = new java.util.ArrayList<>();
    for (Stamped s : events) {
      if (s.event() instanceof TrainingSupervisor.StepTaken t) {
        if (previous >= 0 && t.step() == previousStep + 1 && afterStep.test(t.step())) {
          out.add(s.nanos() - previous);
        }
        previous = s.nanos();
        previousStep = t.step();
      } else if (!(s.event() instanceof TrainingSupervisor.CheckpointRecorded)) {
        // An epoch end (evaluation) or a recovery between two steps is not a step's time.
        previous = -1;
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * A run of {@code TrainingSupervisor.create(...)} whose events this clock stamps and whose
   * result completes {@code outcome}.
   */
  Behavior<Void> training(
      io.zbmd.ml.actor.ModelSpec spec,
      io.zbmd.ml.data.Dataset train,
      io.zbmd.ml.data.Dataset test,
      io.zbmd.ml.training.TrainingOptions options,
      io.zbmd.ml.training.CheckpointSink sink,
      java.util.concurrent.CompletableFuture<TrainingSupervisor.Result> outcome) {
    return Behaviors.setup(
        ctx -> {
          org.apache.pekko.actor.typed.ActorRef<TrainingSupervisor.Result> results =
              ctx.spawn(
                  Behaviors.receive(TrainingSupervisor.Result.class)
                      .onAnyMessage(
                          r -> {
                            outcome.complete(r);
                            return Behaviors.stopped();
                          })
                      .build(),
                  "results");
          ctx.spawn(
              TrainingSupervisor.create(
                  spec, train, test, options, sink, results, ctx.spawn(behavior(), "clock")),
              "training");
          return Behaviors.empty();
        });
  }

  static double medianMillis(long[] nanos) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] s = nanos.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2] / 1e6;
  }
}
