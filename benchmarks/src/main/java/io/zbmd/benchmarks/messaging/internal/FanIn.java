package io.zbmd.benchmarks.messaging.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.annotation.InternalApi;

/**
 * Several sender actors flooding one receiver: the receiver's mailbox is the contended point.
 *
 * <p>Senders are actors, not threads, so that senders and receiver share the dispatcher as they
 * would in an application. A sender sends {@value #BATCH} messages per turn and then tells itself
 * to go on, so that the receiver runs between its batches. The receiver acknowledges every
 * {@value #BATCH} messages of a sender, and a sender keeps at most {@value #WINDOW} unacknowledged:
 * the receiver's mailbox stays bounded and the figure is the delivery rate, not the enqueue rate.
 */
@InternalApi
public final class FanIn {
  static final int BATCH = 1_000;
  static final int WINDOW = 16 * BATCH;

  private FanIn() {}

  interface ReceiverCommand {}

  /** Sent by the driver before any sender starts: the run's start time. */
  record Begin(long startedAt) implements ReceiverCommand {}

  /** The payload; one instance per sender, sent over and over. */
  record Msg(int sender, ActorRef<SenderCommand> replyTo) implements ReceiverCommand {}

  interface SenderCommand {}

  enum Go implements SenderCommand { INSTANCE }

  /** The receiver has taken {@link #BATCH} more messages of this sender. */
  enum Ack implements SenderCommand { INSTANCE }

  enum Done { INSTANCE }

  /** Nanoseconds until the receiver took all {@code senders * perSender} messages. */
  public static long run(Spawner spawner, int senders, long perSender) {
    CompletableFuture<Long> elapsed = new CompletableFuture<>();
    spawner.spawn(driver(senders, perSender, elapsed), "fan-in");
    return Spawner.join(elapsed);
  }

  private static Behavior<Done> driver(
      int senders, long perSender, CompletableFuture<Long> elapsed) {
    return Behaviors.setup(ctx -> {
      ActorRef<ReceiverCommand> receiver = ctx.spawn(Behaviors.<ReceiverCommand>setup(
          c -> new Receiver(c, senders, senders * perSender, ctx.getSelf(), elapsed)), "receiver");
      List<ActorRef<SenderCommand>> started = new ArrayList<>();
      for (int i = 0; i < senders; i++) {
        int index = i;
        started.add(ctx.spawn(Behaviors.<SenderCommand>setup(
            c -> new Sender(c, index, perSender, receiver)), "sender-" + i));
      }
      // Begin is enqueued before any sender starts, so it reaches the receiver before any Msg.
      receiver.tell(new Begin(System.nanoTime()));
      started.forEach(sender -> sender.tell(Go.INSTANCE));
      return Behaviors.receiveMessage(done -> Behaviors.stopped());
    });
  }

  private static final class Sender extends AbstractBehavior<SenderCommand> {
    private final ActorRef<ReceiverCommand> receiver;
    private final Msg msg;
    private final long total;
    private long sent;
    private long acked;
    private boolean goPending;

    Sender(ActorContext<SenderCommand> ctx, int index, long total,
        ActorRef<ReceiverCommand> receiver) {
      super(ctx);
      this.receiver = receiver;
      this.msg = new Msg(index, ctx.getSelf());
      this.total = total;
    }

    @Override
    public Receive<SenderCommand> createReceive() {
      return newReceiveBuilder()
          .onMessageEquals(Go.INSTANCE, () -> {
            goPending = false;
            return pump();
          })
          .onMessageEquals(Ack.INSTANCE, () -> {
            acked += BATCH;
            return goPending ? this : pump();
          })
          .build();
    }

    private Behavior<SenderCommand> pump() {
      long n = Math.min(BATCH, Math.min(total - sent, WINDOW - (sent - acked)));
      for (long i = 0; i < n; i++) {
        receiver.tell(msg);
      }
      sent += n;
      if (sent < total && sent - acked < WINDOW) {
        goPending = true;
        getContext().getSelf().tell(Go.INSTANCE);
      }
      return this;
    }
  }

  private static final class Receiver extends AbstractBehavior<ReceiverCommand> {
    private final long[] perSender;
    private final long total;
    private final ActorRef<Done> driver;
    private final CompletableFuture<Long> elapsed;
    private long startedAt;
    private long received;

    Receiver(ActorContext<ReceiverCommand> ctx, int senders, long total, ActorRef<Done> driver,
        CompletableFuture<Long> elapsed) {
      super(ctx);
      this.perSender = new long[senders];
      this.total = total;
      this.driver = driver;
      this.elapsed = elapsed;
    }

    @Override
    public Receive<ReceiverCommand> createReceive() {
      return newReceiveBuilder()
          .onMessage(Msg.class, this::onMsg)
          .onMessage(Begin.class, begin -> {
            startedAt = begin.startedAt();
            return this;
          })
          .build();
    }

    private Behavior<ReceiverCommand> onMsg(Msg msg) {
      if (++perSender[msg.sender()] % BATCH == 0) {
        msg.replyTo().tell(Ack.INSTANCE);
      }
      if (++received == total) {
        elapsed.complete(System.nanoTime() - startedAt);
        driver.tell(Done.INSTANCE);
      }
      return this;
    }
  }
}
