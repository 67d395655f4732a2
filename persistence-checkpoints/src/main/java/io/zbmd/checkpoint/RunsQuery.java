package io.zbmd.checkpoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Lists the training runs of the journal (what {@code zbmd runs} prints), reading the stored events
 * with pekko-persistence-query and folding them with {@link RunState#applied}, the fold {@link
 * TrainingJournal} uses. It reads what is stored at the time of the call; runs being written
 * meanwhile may show a few events behind.
 *
 * <pre>{@code
 * RunsQuery.create(system).runs().thenAccept(runs -> runs.forEach(r ->
 *     System.out.println(r.runId() + " " + r.status() + " " + r.latestCheckpoint())));
 * }</pre>
 */
public final class RunsQuery {
  private static final String PREFIX = TrainingJournal.ENTITY_TYPE + "|";
  private static final int PARALLELISM = 4;

  private final ActorSystem<?> system;
  private final CheckpointJournal journal;

  private RunsQuery(ActorSystem<?> system) {
    this.system = system;
    this.journal = CheckpointJournal.get(system);
  }

  /** Queries over the journal of {@code system}. */
  public static RunsQuery create(ActorSystem<?> system) {
    return new RunsQuery(system);
  }

  /** Every run of the journal, oldest start first (then by run id). */
  public CompletionStage<List<RunState>> runs() {
    return readJournal()
        .thenCompose(
            read ->
                read.currentPersistenceIds()
                    .filter(id -> id.startsWith(PREFIX))
                    .mapAsync(PARALLELISM, id -> fold(read, id.substring(PREFIX.length())))
                    .runWith(Sink.seq(), system))
        .thenApply(
            runs -> {
              List<RunState> sorted = new ArrayList<>(runs);
              sorted.sort(
                  Comparator.comparing(
                          RunState::startedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                      .thenComparing(RunState::runId));
              return List.copyOf(sorted);
            });
  }

  /** Run {@code runId}, or empty if the journal holds no event of it. */
  public CompletionStage<Optional<RunState>> run(String runId) {
    TrainingJournal.persistenceId(runId); // validates the id
    return readJournal()
        .thenCompose(read -> fold(read, runId))
        .thenApply(s -> s.status() == RunStatus.NEW ? Optional.empty() : Optional.of(s));
  }

  private CompletionStage<RunState> fold(JdbcReadJournal read, String runId) {
    return read.currentEventsByPersistenceId(
            TrainingJournal.persistenceId(runId), 0L, Long.MAX_VALUE)
        .map(envelope -> envelope.event())
        .filter(event -> event instanceof RunEvent)
        .runFold(RunState.empty(runId), (s, event) -> s.applied((RunEvent) event), system);
  }

  private CompletionStage<JdbcReadJournal> readJournal() {
    return journal
        .ensureSchema()
        .thenApply(
            done -> {
              // The read journal looks up its write plugin's event adapters, which starts that
              // plugin from the system config alone unless it runs already: start it first with
              // the journal's database settings.
              Persistence.get(system.classicSystem())
                  .adaptersFor(
                      CheckpointJournal.JOURNAL_PLUGIN_ID, journal.settings().pluginConfig());
              return PersistenceQuery.get(system.classicSystem())
                  .getReadJournalFor(
                      JdbcReadJournal.class,
                      CheckpointJournal.READ_JOURNAL_PLUGIN_ID,
                      journal.settings().pluginConfig());
            });
  }
}
