package io.zbmd.benchmarks.checkpoint;

import com.typesafe.config.ConfigFactory;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.training.InMemoryCheckpointSink;
import io.zbmd.ml.training.TrainingOptions;
import io.zbmd.ml.training.TrainingSupervisor;
import io.zbmd.ml.training.TrainingSupervisor.DeviceReplaced;
import io.zbmd.ml.training.TrainingSupervisor.Result;
import io.zbmd.ml.training.TrainingSupervisor.StepTaken;
import io.zbmd.ml.training.TrainingSupervisor.TrainingCompleted;
import io.zbmd.runtime.Zbmd;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Recovery time from an injected {@code DeviceLostException} to the next completed step. The
 * model trains on testkit's {@code faulty:0} device (over the CPU backend), which is lost at op
 * {@code K}; the supervisor marks it lost, spawns a model on {@code cpu:0}, imports the last
 * checkpoint and seeks the loader. Measured from the {@code DeviceReplaced} event to the next
 * {@code StepTaken}, and as the whole gap between the last step before the loss and the first
 * after it, next to a normal step's time measured in the same run. Each repetition loses the
 * device at a different op.
 *
 * <pre>{@code
 * RecoveryBenchmark.Report r = RecoveryBenchmark.run(spec, train, test, 5);
 * r.print(System.out);
 * }</pre>
 */
public final class RecoveryBenchmark {
  private RecoveryBenchmark() {}

  /**
   * @param lostAtOp the op at which the device was lost
   * @param resumedAtStep the checkpoint's step
   * @param lostAtStep the last step completed before the loss
   * @param recoveryMillis DeviceReplaced to the next completed step
   * @param gapMillis last step before the loss to the first after it
   * @param stepMillis median time of a normal step in the same run
   */
  public record Sample(
      long lostAtOp,
      long resumedAtStep,
      long lostAtStep,
      double recoveryMillis,
      double gapMillis,
      double stepMillis) {}

  public record Report(List<Sample> samples) {
    public double maxRecoveryMillis() {
      return samples.stream().mapToDouble(Sample::recoveryMillis).max().orElse(Double.NaN);
    }

    public double medianRecoveryMillis() {
      long[] n = samples.stream().mapToLong(s -> (long) (s.recoveryMillis() * 1e6)).toArray();
      return EventClock.medianMillis(n);
    }

    public void print(PrintStream out) {
      out.println("recovery from an injected DeviceLostException (faulty:0 over cpu -> cpu:0)");
      for (Sample s : samples) {
        out.printf(
            Locale.ROOT,
            "  lost at op %,d (after step %d), resumed at step %d: %.1f ms to the next step"
                + " (gap %.1f ms; a normal step %.2f ms)%n",
            s.lostAtOp(),
            s.lostAtStep(),
            s.resumedAtStep(),
            s.recoveryMillis(),
            s.gapMillis(),
            s.stepMillis());
      }
      out.printf(
          Locale.ROOT,
          "  median %.1f ms, max %.1f ms (target: under 1,000 ms)%n",
          medianRecoveryMillis(),
          maxRecoveryMillis());
    }
  }

  /**
   * @param spec the model to train
   * @param options the run; its checkpoint interval decides how many steps are replayed
   * @param lostAtOps one repetition per op number at which the device is lost
   */
  public static Report run(
      ModelSpec spec, Dataset train, Dataset test, TrainingOptions options, long... lostAtOps)
      throws Exception {
    List<Sample> samples = new ArrayList<>();
    for (long op : lostAtOps) {
      samples.add(once(spec, train, test, options, op));
    }
    return new Report(samples);
  }

  private static Sample once(
      ModelSpec spec, Dataset train, Dataset test, TrainingOptions options, long lostAtOp)
      throws Exception {
    EventClock clock = new EventClock();
    CompletableFuture<Result> outcome = new CompletableFuture<>();
    ActorSystem<Void> system =
        Zbmd.create(
            clock.training(spec, train, test, options, new InMemoryCheckpointSink(), outcome),
            "recovery-bench",
            ConfigFactory.parseString(
                "zbmd.gpu.backends = [faulty, cpu]\n"
                    + "zbmd.gpu.faulty { delegate = cpu, lost-at-op = " + lostAtOp + " }\n"
                    + "pekko.loglevel = WARNING"));
    try {
      Result r = outcome.get(10, TimeUnit.MINUTES);
      if (!(r instanceof TrainingCompleted)) {
        throw new IllegalStateException("the run did not complete: " + r);
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    long lastStepNanos = -1;
    long lastStep = -1;
    long replacedNanos = -1;
    DeviceReplaced replaced = null;
    for (EventClock.Stamped s : clock.events) {
      if (s.event() instanceof DeviceReplaced d && replaced == null) {
        replaced = d;
        replacedNanos = s.nanos();
      } else if (s.event() instanceof StepTaken t) {
        if (replaced == null) {
          lastStepNanos = s.nanos();
          lastStep = t.step();
        } else {
          double step = EventClock.medianMillis(clock.stepIntervals(n -> true));
          return new Sample(
              lostAtOp,
              replaced.resumedAtStep(),
              lastStep,
              (s.nanos() - replacedNanos) / 1e6,
              (s.nanos() - lastStepNanos) / 1e6,
              step);
        }
      }
    }
    throw new IllegalStateException(
        "no device loss at op " + lostAtOp + " before the run ended; lower the op number");
  }
}
