/**
 * Training checkpoints journaled with Pekko Persistence: a {@link
 * io.zbmd.checkpoint.TrainingJournal} per run (events in an embedded H2 file under {@code
 * zbmd.data-dir} by default, PostgreSQL by config), {@link io.zbmd.checkpoint.RunsQuery} to list
 * runs, and {@link io.zbmd.checkpoint.CheckpointJournal} for settings and schema. The tensors go to
 * a checkpoint store; the journal keeps only their URIs and checksums.
 *
 * <pre>{@code
 * ActorRef<TrainingJournal.Command> journal = CheckpointJournal.get(system).spawn(ctx, "mnist-1");
 * journal.tell(new TrainingJournal.Start(Map.of("batch", "64"), replyTo));
 * RunsQuery.create(system).runs(); // every run, oldest first
 * }</pre>
 */
package io.zbmd.checkpoint;
