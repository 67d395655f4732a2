package io.zbmd.checkpoint;

import com.typesafe.config.Config;
import io.zbmd.ml.training.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training run with a journal and checkpoint files: opening it starts the run in its {@link
 * TrainingJournal} (or resumes it, refusing a different configuration), removes temporary files a
 * crash left, finds the newest intact checkpoint (skipping damaged ones with a warning: they leave
 * the journal and their files are renamed to {@code .corrupt}) and builds
 * the {@link JournaledCheckpointSink} that a {@code TrainingSupervisor} then resumes from and
 * saves into. Paths and intervals come from {@code zbmd.checkpoint} in the system's config.
 *
 * <pre>{@code
 * CheckpointedRun run = CheckpointedRun.open(system, "mnist-1", Map.of("batch", "64"))
 *     .toCompletableFuture().join();
 * if (run.completed()) { ... }                    // nothing left to train
 * run.resumeFrom().ifPresent(c -> log.info("resuming at step {}", c.step()));
 * ctx.spawn(TrainingSupervisor.create(spec, train, test, options, run.sink(), results,
 *     ctx.spawn(JournalingListener.create(run.journal(), progress), "journaling")), "training");
 * ...
 * run.complete(summary.steps(), Map.of("test_accuracy", summary.testAccuracy()));
 * }</pre>
 */
public final class CheckpointedRun {
  private static final Logger log = LoggerFactory.getLogger(CheckpointedRun.class);

  private final String runId;
  private final ActorSystem<?> system;
  private final ActorRef<TrainingJournal.Command> journal;
  private final RunState state;
  private final boolean created;
  private final CheckpointRecovery.Recovered recovered;
  private final JournaledCheckpointSink sink;
  private final Duration timeout;

  private CheckpointedRun(
      String runId,
      ActorSystem<?> system,
      ActorRef<TrainingJournal.Command> journal,
      RunState state,
      boolean created,
      CheckpointRecovery.Recovered recovered,
      JournaledCheckpointSink sink,
      Duration timeout) {
    this.runId = runId;
    this.system = system;
    this.journal = journal;
    this.state = state;
    this.created = created;
    this.recovered = recovered;
    this.sink = sink;
    this.timeout = timeout;
  }

  /** Where this system keeps checkpoint files: {@code zbmd.checkpoint.directory}. */
  public static Path directory(ActorSystem<?> system) {
    return Path.of(system.settings().config().getString("zbmd.checkpoint.directory"))
        .toAbsolutePath();
  }

  /**
   * Opens run {@code runId}: new, or resumed from its newest intact checkpoint. Fails with {@link
   * RunConfigMismatchException} when the run exists with another {@code config}.
   *
   * @throws IllegalArgumentException if {@code runId} is not 1 to 128 of {@code [A-Za-z0-9._-]}
   *     starting with a letter or digit
   */
  public static CompletionStage<CheckpointedRun> open(
      ActorSystem<?> system, String runId, Map<String, String> config) {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(config, "config");
    Config c = system.settings().config().getConfig("zbmd.checkpoint");
    Duration timeout = c.getDuration("ask-timeout");
    int keepLast = c.getInt("keep-last");
    Executor writer =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("zbmd.checkpoint.writer-dispatcher"));
    FileCheckpointStore store = new FileCheckpointStore(directory(system));
    store.directory(runId); // rejects an id that cannot name a directory, before anything starts
    // The schema first: a database that cannot be reached (or an H2 file another process holds)
    // fails here with its own message, not as an ask timeout half a minute later.
    CheckpointJournal journals = CheckpointJournal.get(system);
    if (!journals.claim(runId)) {
      throw new IllegalStateException(
          "run " + runId + " is already open in this actor system: close() it first");
    }
    CompletionStage<CheckpointedRun> result = journals
        .ensureSchema()
        .thenCompose(
            schema -> {
              ActorRef<TrainingJournal.Command> journal =
                  system.systemActorOf(
                      TrainingJournal.create(runId),
                      "zbmd-run-" + runId + "-" + journals.nextOpening(),
                      Props.empty());
              return AskPattern.<TrainingJournal.Command, TrainingJournal.StartReply>ask(
                      journal,
                      replyTo -> new TrainingJournal.Start(config, replyTo),
                      timeout,
                      system.scheduler())
                  .thenApply(reply -> new Opening(journal, reply));
            })
        .thenApplyAsync(
            started -> {
              ActorRef<TrainingJournal.Command> journal = started.journal();
              TrainingJournal.StartReply reply = started.reply();
              if (reply instanceof TrainingJournal.ConfigMismatch m) {
                journal.tell(new TrainingJournal.Stop(null));
                throw new RunConfigMismatchException(runId, m.message());
              }
              TrainingJournal.RunOpened opened = (TrainingJournal.RunOpened) reply;
              RunState state = opened.state();
              try {
                store.removeTemporaries(runId);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              CheckpointRecovery.Recovered recovered =
                  CheckpointRecovery.latestValid(store, state.checkpoints());
              // Skipped checkpoints leave the journal (so that training may record the steps
              // after the one it resumes from again), and their files are set aside, not deleted.
              List<CheckpointEntry> kept = new ArrayList<>(state.checkpoints());
              for (CorruptCheckpointException bad : recovered.skipped()) {
                AskPattern.<TrainingJournal.Command, Done>ask(
                        journal,
                        replyTo -> new TrainingJournal.RecordCheckpointDeleted(bad.location(), replyTo),
                        timeout,
                        system.scheduler())
                    .toCompletableFuture()
                    .join();
                kept.removeIf(e -> e.uri().equals(bad.location()));
                setAside(bad.location());
              }
              JournaledCheckpointSink sink =
                  new JournaledCheckpointSink(
                      system,
                      journal,
                      store,
                      runId,
                      keepLast,
                      kept,
                      recovered.checkpoint().orElse(null),
                      writer,
                      timeout);
              return new CheckpointedRun(
                  runId, system, journal, state, opened.created(), recovered, sink, timeout);
            },
            writer);
    // Not opened (a mismatch, an unreachable database): the id is free again.
    result.whenComplete(
        (run, failure) -> {
          if (failure != null) {
            journals.release(runId);
          }
        });
    return result;
  }

  private record Opening(
      ActorRef<TrainingJournal.Command> journal, TrainingJournal.StartReply reply) {}

  /** Renames a damaged checkpoint file to {@code <name>.corrupt}, kept for inspection. */
  private static void setAside(String uri) {
    try {
      Path file = Path.of(URI.create(uri));
      if (Files.exists(file)) {
        Files.move(
            file,
            file.resolveSibling(file.getFileName() + ".corrupt"),
            StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | IllegalArgumentException e) {
      log.warn("could not set aside the damaged checkpoint {}: {}", uri, e.toString());
    }
  }

  public String runId() {
    return runId;
  }

  /** The run as the journal held it when it was opened. */
  public RunState state() {
    return state;
  }

  /** True if this open started the run. */
  public boolean created() {
    return created;
  }

  /** True if the run had completed before: there is nothing left to train. */
  public boolean completed() {
    return state.status() == RunStatus.COMPLETED;
  }

  /** The checkpoint training resumes from: the newest intact one, if any. */
  public Optional<Checkpoint> resumeFrom() {
    return recovered.checkpoint();
  }

  /** Newer checkpoints that were skipped because their files were missing or corrupt. */
  public List<CorruptCheckpointException> skipped() {
    return recovered.skipped();
  }

  public JournaledCheckpointSink sink() {
    return sink;
  }

  public ActorRef<TrainingJournal.Command> journal() {
    return journal;
  }

  /** Records the run's completion once every checkpoint save has finished. */
  public CompletionStage<Done> complete(long step, Map<String, Double> summary) {
    return sink.flushed()
        .thenCompose(
            ignored ->
                AskPattern.ask(
                    journal,
                    replyTo -> new TrainingJournal.Complete(step, summary, replyTo),
                    timeout,
                    system.scheduler()));
  }

  /**
   * Waits for the saves made so far, then stops the run's journal actor, so that the run can be
   * opened again in this actor system (its state stays in the database).
   */
  public CompletionStage<Done> close() {
    return sink.flushed()
        .thenCompose(
            ignored ->
                AskPattern.<TrainingJournal.Command, Done>ask(
                    journal, TrainingJournal.Stop::new, timeout, system.scheduler()))
        .whenComplete((done, failure) -> CheckpointJournal.get(system).release(runId));
  }

  /** Records the run's failure; it can be resumed later. */
  public CompletionStage<Done> fail(String reason) {
    return sink.flushed()
        .thenCompose(
            ignored ->
                AskPattern.ask(
                    journal,
                    replyTo -> new TrainingJournal.Fail(reason, replyTo),
                    timeout,
                    system.scheduler()));
  }

}
