package io.zbmd.checkpoint;

import com.typesafe.config.Config;
import io.zbmd.checkpoint.RunEvent.BatchSizeReduced;
import io.zbmd.checkpoint.RunEvent.CheckpointDeleted;
import io.zbmd.checkpoint.RunEvent.CheckpointRecorded;
import io.zbmd.checkpoint.RunEvent.DeviceMigrated;
import io.zbmd.checkpoint.RunEvent.EpochCompleted;
import io.zbmd.checkpoint.RunEvent.RunCompleted;
import io.zbmd.checkpoint.RunEvent.RunFailed;
import io.zbmd.checkpoint.RunEvent.RunResumed;
import io.zbmd.checkpoint.RunEvent.RunStarted;
import io.zbmd.checkpoint.internal.SortedMaps;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The journal of one training run, event sourced: what was started with which config, which
 * checkpoints were written where, how often the batch shrank or the model moved, how each epoch
 * went, and how the run ended. Its state ({@link RunState}) survives restarts of the process; the
 * tensors never enter it, only the URIs and checksums of the files that hold them.
 *
 * <p>A run starts with {@link Start}; starting it again with the same config resumes it (a failed
 * run included), a different config is refused with a message naming every differing key. A
 * checkpoint is acknowledged only once its event is stored, so an acknowledged checkpoint is one
 * that a restarted process will find.
 *
 * <p>Commands whose {@code replyTo} is an {@code ActorRef<Done>} may pass {@code null} to send
 * fire-and-forget. When such a command does not fit the run's status (e.g. an epoch recorded for a
 * run that was never started or has completed), the journal logs a warning, records nothing and
 * does not reply, so an asker times out.
 *
 * <pre>{@code
 * ActorRef<TrainingJournal.Command> journal = CheckpointJournal.get(system).spawn(ctx, "mnist-1");
 * journal.tell(new TrainingJournal.Start(Map.of("batch", "64"), startReplies));
 * journal.tell(new TrainingJournal.RecordCheckpoint(
 *     600, 1, "file:/data/ckpt-600.safetensors", sha256, bytes, Map.of("loss", 0.31), acks));
 * journal.tell(new TrainingJournal.RecordEpochCompleted(1, 600, 0.31, 0.28, 0.92, null));
 * }</pre>
 */
public final class TrainingJournal
    extends EventSourcedBehavior<TrainingJournal.Command, RunEvent, RunState> {

  /** The entity type of every run's persistence id: {@code zbmd-run|<runId>}. */
  public static final String ENTITY_TYPE = "zbmd-run";

  // Messages arriving while the schema is being created wait here; a few per run is usual.
  private static final int STASH_CAPACITY = 10_000;
  // persistence_id is VARCHAR(255) in the plugin's schema.
  private static final int MAX_RUN_ID_LENGTH = 255 - ENTITY_TYPE.length() - 1;

  /** What a training journal understands. */
  public interface Command {}

  /**
   * Starts run {@code runId} with {@code config}, or resumes it when it exists with the same
   * config; answers {@link RunOpened} or {@link ConfigMismatch}.
   */
  public record Start(Map<String, String> config, ActorRef<StartReply> replyTo) implements Command {
    public Start {
      config = SortedMaps.copy(config, "config");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * Records a checkpoint written to {@code uri}; answers {@link CheckpointAcknowledged} once the
   * event is stored, or {@link CheckpointRejected} when the run is not running or {@code step} is
   * before the latest checkpoint's. Recording the latest checkpoint again is acknowledged without a
   * new event.
   */
  public record RecordCheckpoint(
      long step,
      int epoch,
      String uri,
      String sha256,
      long bytes,
      Map<String, Double> metrics,
      ActorRef<RecordReply> replyTo)
      implements Command {
    public RecordCheckpoint {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(replyTo, "replyTo");
      if (step < 0 || epoch < 0 || bytes < 0) {
        throw new IllegalArgumentException(
            "checkpoint "
                + uri
                + ": step "
                + step
                + ", epoch "
                + epoch
                + " and bytes "
                + bytes
                + " must not be negative");
      }
      metrics = SortedMaps.copy(metrics, "metrics of checkpoint " + uri);
    }
  }

  /** Records that the checkpoint at {@code uri} was deleted; {@code replyTo} may be null. */
  public record RecordCheckpointDeleted(String uri, ActorRef<Done> replyTo) implements Command {
    public RecordCheckpointDeleted {
      Objects.requireNonNull(uri, "uri");
    }
  }

  /** Records an out-of-memory batch reduction at {@code step}; {@code replyTo} may be null. */
  public record RecordBatchSizeReduced(
      long step, int batchSize, int microBatches, String cause, ActorRef<Done> replyTo)
      implements Command {}

  /** Records a move of the model between devices; {@code replyTo} may be null. */
  public record RecordDeviceMigrated(
      long step, String from, String to, String cause, ActorRef<Done> replyTo) implements Command {}

  /**
   * Records the end of epoch {@code epoch} (1 for the first); test figures may be NaN when the
   * epoch was not evaluated. {@code replyTo} may be null.
   */
  public record RecordEpochCompleted(
      int epoch,
      long step,
      double trainLoss,
      double testLoss,
      double testAccuracy,
      ActorRef<Done> replyTo)
      implements Command {}

  /** Marks the run completed; {@code replyTo} may be null. Completing twice is answered alike. */
  public record Complete(long step, Map<String, Double> summary, ActorRef<Done> replyTo)
      implements Command {
    public Complete {
      summary = SortedMaps.copy(summary, "summary");
    }
  }

  /** Marks the run failed (it can be resumed by {@link Start}); {@code replyTo} may be null. */
  public record Fail(String reason, ActorRef<Done> replyTo) implements Command {
    public Fail {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Asks for the run's state. */
  public record GetRun(ActorRef<RunState> replyTo) implements Command {}

  /**
   * Stops this journal actor once the commands before it are handled (its state is in the
   * database; a later {@link #create} recovers it); {@code replyTo} may be null.
   */
  public record Stop(ActorRef<Done> replyTo) implements Command {}

  /** The answer to {@link Start}. */
  public sealed interface StartReply permits RunOpened, ConfigMismatch {}

  /**
   * The run is open: {@code created} when this start created it. A completed run stays {@link
   * RunStatus#COMPLETED}; otherwise it is {@link RunStatus#RUNNING}.
   */
  public record RunOpened(RunState state, boolean created) implements StartReply {}

  /** The run exists with another config; nothing was recorded. {@code message} names each key. */
  public record ConfigMismatch(RunState state, String message) implements StartReply {}

  /** The answer to {@link RecordCheckpoint}. */
  public sealed interface RecordReply permits CheckpointAcknowledged, CheckpointRejected {}

  /** The checkpoint's event is stored. */
  public record CheckpointAcknowledged(long step, String uri) implements RecordReply {}

  /** The checkpoint was not recorded, for {@code reason}. */
  public record CheckpointRejected(long step, String uri, String reason) implements RecordReply {}

  /** The schema creation this journal waited for has ended (failure null on success). */
  private record SchemaReady(Throwable failure) implements Command {}

  private final String runId;
  private final JournalSettings settings;
  private final ActorContext<Command> context;

  private TrainingJournal(String runId, JournalSettings settings, ActorContext<Command> context) {
    // A failing database write or read restarts the journal, which recovers its state again.
    super(
        PersistenceId.of(ENTITY_TYPE, runId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.runId = runId;
    this.settings = settings;
    this.context = context;
  }

  /**
   * The journal of run {@code runId} (persistence id {@link #persistenceId}). It waits for {@link
   * CheckpointJournal#ensureSchema()} before recovering, and stops with the reason if that fails.
   *
   * @throws IllegalArgumentException for a blank or overlong run id
   */
  public static Behavior<Command> create(String runId) {
    requireValidRunId(runId);
    return Behaviors.setup(
        context -> {
          CheckpointJournal journal = CheckpointJournal.get(context.getSystem());
          CompletableFuture<Done> schema = journal.ensureSchema().toCompletableFuture();
          Behavior<Command> journaled = new TrainingJournal(runId, journal.settings(), context);
          if (schema.isDone() && !schema.isCompletedExceptionally()) {
            return journaled;
          }
          return Behaviors.withStash(
              STASH_CAPACITY,
              stash -> {
                context.pipeToSelf(schema, (done, failure) -> new SchemaReady(failure));
                return Behaviors.receive(Command.class)
                    .onMessage(
                        SchemaReady.class,
                        ready -> {
                          if (ready.failure() != null) {
                            Throwable cause = unwrap(ready.failure());
                            throw new IllegalStateException(
                                "the journal of run "
                                    + runId
                                    + " cannot start: "
                                    + cause.getMessage(),
                                cause);
                          }
                          return stash.unstashAll(journaled);
                        })
                    .onAnyMessage(
                        message -> {
                          stash.stash(message);
                          return Behaviors.same();
                        })
                    .build();
              });
        });
  }

  /** The persistence id of run {@code runId}: {@code zbmd-run|<runId>}. */
  public static String persistenceId(String runId) {
    requireValidRunId(runId);
    return PersistenceId.of(ENTITY_TYPE, runId).id();
  }

  @Override
  public RunState emptyState() {
    return RunState.empty(runId);
  }

  @Override
  public String journalPluginId() {
    return CheckpointJournal.JOURNAL_PLUGIN_ID;
  }

  @Override
  public String snapshotPluginId() {
    return CheckpointJournal.SNAPSHOT_PLUGIN_ID;
  }

  @Override
  public Optional<Config> journalPluginConfig() {
    return Optional.of(settings.pluginConfig());
  }

  @Override
  public Optional<Config> snapshotPluginConfig() {
    return Optional.of(settings.pluginConfig());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: RunsQuery folds them from the first one.
    return settings.snapshotEvery() > 0
        ? RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        : RetentionCriteria.disabled();
  }

  @Override
  public EventHandler<RunState, RunEvent> eventHandler() {
    return RunState::applied;
  }

  @Override
  public CommandHandler<Command, RunEvent, RunState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(RecordCheckpoint.class, this::onRecordCheckpoint)
        .onCommand(RecordCheckpointDeleted.class, this::onCheckpointDeleted)
        .onCommand(
            RecordBatchSizeReduced.class,
            (s, c) ->
                whileRunning(
                    s,
                    "batch size reduction",
                    c.replyTo(),
                    new BatchSizeReduced(
                        c.step(), c.batchSize(), c.microBatches(), c.cause(), now())))
        .onCommand(
            RecordDeviceMigrated.class,
            (s, c) ->
                whileRunning(
                    s,
                    "device migration",
                    c.replyTo(),
                    new DeviceMigrated(c.step(), c.from(), c.to(), c.cause(), now())))
        .onCommand(
            RecordEpochCompleted.class,
            (s, c) ->
                whileRunning(
                    s,
                    "epoch " + c.epoch(),
                    c.replyTo(),
                    new EpochCompleted(
                        c.epoch(), c.step(), c.trainLoss(), c.testLoss(), c.testAccuracy(), now())))
        .onCommand(Complete.class, this::onComplete)
        .onCommand(Fail.class, this::onFail)
        .onCommand(GetRun.class, (s, c) -> Effect().reply(c.replyTo(), s))
        .onCommand(Stop.class, (s, c) -> Effect().stop().thenRun(unused -> done(c.replyTo())))
        .build();
  }

  private Effect<RunEvent, RunState> onStart(RunState s, Start c) {
    if (s.status() == RunStatus.NEW) {
      return Effect()
          .persist(new RunStarted(runId, c.config(), now()))
          .thenReply(c.replyTo(), started -> new RunOpened(started, true));
    }
    Optional<String> mismatch = mismatch(s.config(), c.config());
    if (mismatch.isPresent()) {
      return Effect().reply(c.replyTo(), new ConfigMismatch(s, mismatch.get()));
    }
    if (s.status() == RunStatus.COMPLETED) {
      return Effect().reply(c.replyTo(), new RunOpened(s, false));
    }
    return Effect()
        .persist(new RunResumed(now()))
        .thenReply(c.replyTo(), resumed -> new RunOpened(resumed, false));
  }

  private Effect<RunEvent, RunState> onRecordCheckpoint(RunState s, RecordCheckpoint c) {
    if (s.status() != RunStatus.RUNNING) {
      return Effect().reply(c.replyTo(), new CheckpointRejected(c.step(), c.uri(), notRunning(s)));
    }
    Optional<CheckpointEntry> latest = s.latestCheckpoint();
    if (latest.isPresent()) {
      CheckpointEntry last = latest.get();
      if (c.step() < last.step()) {
        return Effect()
            .reply(
                c.replyTo(),
                new CheckpointRejected(
                    c.step(),
                    c.uri(),
                    "step "
                        + c.step()
                        + " is before step "
                        + last.step()
                        + " of the latest checkpoint of run "
                        + runId
                        + " ("
                        + last.uri()
                        + ")"));
      }
      if (c.step() == last.step()
          && c.uri().equals(last.uri())
          && c.sha256().equals(last.sha256())) {
        // A retry of a checkpoint whose acknowledgement was lost: it is stored already.
        return Effect().reply(c.replyTo(), new CheckpointAcknowledged(c.step(), c.uri()));
      }
    }
    return Effect()
        .persist(
            new CheckpointRecorded(
                c.step(), c.epoch(), c.uri(), c.sha256(), c.bytes(), c.metrics(), now()))
        .thenReply(c.replyTo(), stored -> new CheckpointAcknowledged(c.step(), c.uri()));
  }

  private Effect<RunEvent, RunState> onCheckpointDeleted(RunState s, RecordCheckpointDeleted c) {
    if (s.status() == RunStatus.NEW) {
      return ignored("deletion of checkpoint " + c.uri(), notRunning(s));
    }
    if (s.checkpoints().stream().noneMatch(e -> e.uri().equals(c.uri()))) {
      return Effect().none().thenRun(unused -> done(c.replyTo())); // nothing to forget
    }
    return Effect()
        .persist(new CheckpointDeleted(c.uri(), now()))
        .thenRun(unused -> done(c.replyTo()));
  }

  private Effect<RunEvent, RunState> onComplete(RunState s, Complete c) {
    if (s.status() == RunStatus.COMPLETED) {
      return Effect().none().thenRun(unused -> done(c.replyTo()));
    }
    return whileRunning(
        s, "completion", c.replyTo(), new RunCompleted(c.step(), c.summary(), now()));
  }

  private Effect<RunEvent, RunState> onFail(RunState s, Fail c) {
    if (s.status() == RunStatus.FAILED) {
      return Effect().none().thenRun(unused -> done(c.replyTo()));
    }
    return whileRunning(
        s, "failure (" + c.reason() + ")", c.replyTo(), new RunFailed(c.reason(), now()));
  }

  private Effect<RunEvent, RunState> whileRunning(
      RunState s, String what, ActorRef<Done> replyTo, RunEvent event) {
    if (s.status() != RunStatus.RUNNING) {
      return ignored(what, notRunning(s));
    }
    return Effect().persist(event).thenRun(unused -> done(replyTo));
  }

  private Effect<RunEvent, RunState> ignored(String what, String reason) {
    context.getLog().warn("{} not recorded: {}", what, reason);
    return Effect().none();
  }

  private String notRunning(RunState s) {
    return switch (s.status()) {
      case NEW -> "run " + runId + " was never started: send Start first";
      case COMPLETED -> "run " + runId + " has completed";
      case FAILED -> "run " + runId + " has failed (" + s.failure() + "): send Start to resume it";
      case RUNNING -> "run " + runId + " is running";
    };
  }

  /** "run r1 was started with batch=64, now batch=32; lr=0.1, now lr=0.01", or empty if equal. */
  private Optional<String> mismatch(Map<String, String> started, Map<String, String> now) {
    TreeSet<String> keys = new TreeSet<>(started.keySet());
    keys.addAll(now.keySet());
    List<String> differences = new ArrayList<>();
    for (String key : keys) {
      String was = started.get(key);
      String is = now.get(key);
      if (!Objects.equals(was, is)) {
        differences.add(
            (was == null ? "no " + key : key + "=" + was)
                + ", now "
                + (is == null ? "no " + key : key + "=" + is));
      }
    }
    if (differences.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "run "
            + runId
            + " was started with "
            + String.join("; ", differences)
            + ". A run keeps the config it was started with: use a new run id to change it.");
  }

  private static void done(ActorRef<Done> replyTo) {
    if (replyTo != null) {
      replyTo.tell(Done.getInstance());
    }
  }

  private static Instant now() {
    return Instant.now();
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static void requireValidRunId(String runId) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("a run id must not be blank, got '" + runId + "'");
    }
    if (runId.length() > MAX_RUN_ID_LENGTH) {
      throw new IllegalArgumentException(
          "run id of "
              + runId.length()
              + " characters is longer than "
              + MAX_RUN_ID_LENGTH
              + ": "
              + runId);
    }
  }
}
