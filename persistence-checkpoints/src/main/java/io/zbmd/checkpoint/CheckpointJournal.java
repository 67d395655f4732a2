package io.zbmd.checkpoint;

import io.zbmd.checkpoint.internal.JournalSchema;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The training journal of an actor system: its settings, its database schema, and a way to spawn a
 * {@link TrainingJournal} per run. The journal uses Pekko plugins of its own ({@link
 * #JOURNAL_PLUGIN_ID}, {@link #SNAPSHOT_PLUGIN_ID}, {@link #READ_JOURNAL_PLUGIN_ID}), so it leaves
 * the application's default journal alone; they store their rows with pekko-persistence-jdbc in an
 * embedded H2 file under {@code zbmd.data-dir} or, by config, in PostgreSQL.
 *
 * <p>The tables are created before the first journal recovers ({@link #ensureSchema()}, once per
 * system, again after a failure) unless {@code zbmd.checkpoint.journal.create-schema = off}.
 *
 * <pre>{@code
 * ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "zbmd",
 *     ConfigFactory.parseMap(Map.of("zbmd.data-dir", "/var/lib/zbmd")));
 * // in a guardian:
 * ActorRef<TrainingJournal.Command> journal = CheckpointJournal.get(system).spawn(ctx, "mnist-1");
 * }</pre>
 */
public final class CheckpointJournal implements Extension {
  /** Id of the journal's write plugin (configured in this module's reference.conf). */
  public static final String JOURNAL_PLUGIN_ID = "zbmd.checkpoint.journal.jdbc-journal";

  /** Id of the journal's snapshot plugin. */
  public static final String SNAPSHOT_PLUGIN_ID = "zbmd.checkpoint.journal.jdbc-snapshot-store";

  /** Id of the journal's query plugin, used by {@link RunsQuery}. */
  public static final String READ_JOURNAL_PLUGIN_ID = "zbmd.checkpoint.journal.jdbc-read-journal";

  /** The extension's id. */
  public static final class Id extends ExtensionId<CheckpointJournal> {
    private Id() {}

    @Override
    public CheckpointJournal createExtension(ActorSystem<?> system) {
      return new CheckpointJournal(system);
    }
  }

  /** The one {@link Id}. */
  public static final Id ID = new Id();

  private final ActorSystem<?> system;
  private final JournalSettings settings;
  private CompletableFuture<Done> schema; // guarded by this
  // Runs opened by CheckpointedRun: one journal actor per run id and system, never two writers.
  private final java.util.Set<String> openRuns = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicLong openings =
      new java.util.concurrent.atomic.AtomicLong();

  private CheckpointJournal(ActorSystem<?> system) {
    this.system = system;
    this.settings = JournalSettings.create(system.settings().config());
  }

  /** The journal of {@code system}. */
  public static CheckpointJournal get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Marks {@code runId} open; false if it already is. */
  boolean claim(String runId) {
    return openRuns.add(runId);
  }

  void release(String runId) {
    openRuns.remove(runId);
  }

  /** A fresh number for the name of an opened run's journal actor. */
  long nextOpening() {
    return openings.incrementAndGet();
  }

  /** The settings read from {@code zbmd.checkpoint.journal}. */
  public JournalSettings settings() {
    return settings;
  }

  /**
   * Creates the journal's tables if they are missing, on the blocking dispatcher; completes at once
   * after the first success, and tries again after a failure. With {@code create-schema = off} it
   * completes at once without touching the database.
   */
  public synchronized CompletionStage<Done> ensureSchema() {
    if (!settings.createSchema()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    if (schema == null || schema.isCompletedExceptionally()) {
      schema =
          CompletableFuture.supplyAsync(
              () -> {
                JournalSchema.ensure(settings);
                return Done.getInstance();
              },
              system.dispatchers().lookup(DispatcherSelector.blocking()));
    }
    return schema;
  }

  /**
   * Spawns the journal of run {@code runId} as a child of {@code context}, named {@code run-}
   * followed by the URL-encoded run id. Spawn one journal per run id: two would both write.
   */
  public ActorRef<TrainingJournal.Command> spawn(ActorContext<?> context, String runId) {
    return context.spawn(TrainingJournal.create(runId), actorName(runId));
  }

  /** The child name {@link #spawn} gives the journal of {@code runId}. */
  public static String actorName(String runId) {
    return "run-" + URLEncoder.encode(runId, StandardCharsets.UTF_8);
  }
}
