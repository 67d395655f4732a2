package io.zbmd.ml.actor;

import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.LoaderPosition;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A {@link DataLoader} as an actor: hands out batches in order, says where it stands, and seeks to
 * a saved position, so that a training supervisor asks for data by message and a checkpoint can
 * record (and a restart restore) the loader's cursor. Batches are host arrays; it needs no device
 * and runs on whatever dispatcher it is spawned with.
 *
 * <pre>{@code
 * ActorRef<DataLoaderActor.Command> data =
 *     ctx.spawn(DataLoaderActor.create(new DataLoader(train, LoaderOptions.of(64, 42))), "data");
 * data.tell(new DataLoaderActor.Next(batches));        // NextBatch(batch, endOfEpoch)
 * data.tell(new DataLoaderActor.Position(positions));  // LoaderPosition, saved with a checkpoint
 * data.tell(new DataLoaderActor.Seek(saved, sought));  // after a restart
 * }</pre>
 */
public final class DataLoaderActor extends AbstractBehavior<DataLoaderActor.Command> {
  /** What a data loader actor understands. */
  public interface Command {}

  /** The batch at the cursor; the cursor moves on. */
  public record Next(ActorRef<NextBatch> replyTo) implements Command {
    public Next {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * @param batch the next batch ({@link Batch#epoch()} and {@link Batch#index()} say where it is)
   * @param endOfEpoch whether it is the last batch of its epoch (the next one starts a new epoch)
   */
  public record NextBatch(Batch batch, boolean endOfEpoch) {}

  /** Where the cursor stands, answered with the loader's {@link LoaderPosition}. */
  public record Position(ActorRef<LoaderPosition> replyTo) implements Command {
    public Position {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Moves the cursor to {@code position}. */
  public record Seek(LoaderPosition position, ActorRef<SeekResult> replyTo) implements Command {
    public Seek {
      Objects.requireNonNull(position, "position");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to a {@link Seek}. */
  public interface SeekResult {}

  /** The cursor now stands at {@code position}. */
  public record Sought(LoaderPosition position) implements SeekResult {}

  /** The position does not fit this loader (another seed or batch size, past an epoch's end). */
  public record SeekRejected(LoaderPosition position, String reason) implements SeekResult {}

  private final DataLoader loader;

  private DataLoaderActor(ActorContext<Command> ctx, DataLoader loader) {
    super(ctx);
    this.loader = loader;
  }

  public static Behavior<Command> create(DataLoader loader) {
    Objects.requireNonNull(loader, "loader");
    return io.zbmd.runtime.metrics.Metered.behavior(
        "data_loader", Behaviors.setup(ctx -> new DataLoaderActor(ctx, loader)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Next.class, this::onNext)
        .onMessage(Position.class, this::onPosition)
        .onMessage(Seek.class, this::onSeek)
        .build();
  }

  private Behavior<Command> onNext(Next m) {
    Batch b = loader.next();
    m.replyTo().tell(new NextBatch(b, b.index() == loader.batchesPerEpoch() - 1));
    return this;
  }

  private Behavior<Command> onPosition(Position m) {
    m.replyTo().tell(loader.position());
    return this;
  }

  private Behavior<Command> onSeek(Seek m) {
    try {
      loader.seek(m.position());
      m.replyTo().tell(new Sought(loader.position()));
    } catch (IllegalArgumentException e) {
      // A bad position is the sender's mistake, not a reason to lose the loader.
      m.replyTo().tell(new SeekRejected(m.position(), e.getMessage()));
    }
    return this;
  }
}
