package io.zbmd.checkpoint;

import io.zbmd.ml.training.TrainingSupervisor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Records what a {@link TrainingSupervisor} reports in its run's {@link TrainingJournal}: epoch
 * ends, batch-size reductions and device migrations (checkpoints are recorded by the {@link
 * JournaledCheckpointSink}), and passes every event on to {@code downstream}, if any.
 *
 * <pre>{@code
 * ActorRef<TrainingSupervisor.Event> events =
 *     ctx.spawn(JournalingListener.create(journal, progress), "journaling");
 * ctx.spawn(TrainingSupervisor.create(spec, train, test, options, sink, results, events), "run");
 * }</pre>
 */
public final class JournalingListener {
  private JournalingListener() {}

  /** @param downstream also gets every event; {@code null} for none */
  public static Behavior<TrainingSupervisor.Event> create(
      ActorRef<TrainingJournal.Command> journal, ActorRef<TrainingSupervisor.Event> downstream) {
    return Behaviors.receive(TrainingSupervisor.Event.class)
        .onAnyMessage(
            e -> {
              if (e instanceof TrainingSupervisor.EpochCompleted c) {
                journal.tell(
                    new TrainingJournal.RecordEpochCompleted(
                        c.epoch(), c.step(), c.trainLoss(), c.testLoss(), c.testAccuracy(), null));
              } else if (e instanceof TrainingSupervisor.BatchSizeReduced b) {
                journal.tell(
                    new TrainingJournal.RecordBatchSizeReduced(
                        b.step(), b.batchSize(), b.microBatches(), b.cause(), null));
              } else if (e instanceof TrainingSupervisor.DeviceReplaced d) {
                journal.tell(
                    new TrainingJournal.RecordDeviceMigrated(
                        d.resumedAtStep(),
                        d.lost().toString(),
                        d.replacement().toString(),
                        d.cause(),
                        null));
              }
              if (downstream != null) {
                downstream.tell(e);
              }
              return Behaviors.same();
            })
        .build();
  }
}
