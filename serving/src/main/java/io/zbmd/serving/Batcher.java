package io.zbmd.serving;

import io.zbmd.ml.io.HostTensor;
import io.zbmd.serving.internal.ModelMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The dynamic batcher of one model instance. It owns a bounded queue of requests (so none is lost
 * in a mailbox), joins queued rows into one batch of up to {@code max-batch-size}, dispatches at
 * once when it can form a full or preferred batch and otherwise waits at most {@code
 * max-queue-delay} for the oldest request, runs one {@link Predictor#predict} at a time, and answers
 * each caller with exactly its own rows. A full queue is answered {@link Rejected} at once; a
 * request that waited past its deadline too. {@link Drain} (shutdown) answers every queued request
 * without waiting, then confirms.
 *
 * <pre>{@code
 * ActorRef<Batcher.Command> b = ctx.spawn(Batcher.create(predictor, settings.batching(), metrics), "b");
 * b.tell(new Batcher.Infer(rows, System.nanoTime() + timeoutNanos, replyTo));
 * }</pre>
 */
public final class Batcher extends AbstractBehavior<Batcher.Command> {

  /** What the batcher handles. */
  public interface Command {}

  /**
   * Infer {@code rows} (first dimension: rows) before {@code deadlineNanos} ({@link System#nanoTime}).
   */
  public record Infer(HostTensor rows, long deadlineNanos, ActorRef<InferResult> replyTo)
      implements Command {}

  /** Stop taking requests, answer every queued one, then reply. */
  public record Drain(ActorRef<Done> replyTo) implements Command {}

  /** Stops the batcher; requests still queued are answered {@link Reason#SHUTTING_DOWN}. */
  public enum Stop implements Command {
    INSTANCE
  }

  /** The answer to an {@link Infer}. */
  public sealed interface InferResult permits Inferred, Rejected, InferFailed {}

  /** The caller's rows of the batch's output, after {@code queueNanos} in the queue. */
  public record Inferred(HostTensor rows, int batchRows, long queueNanos) implements InferResult {}

  /** Why a request was not run. */
  public enum Reason {
    QUEUE_FULL,
    TIMED_OUT,
    SHUTTING_DOWN
  }

  /** Not run: {@code reason}, explained by {@code message}. */
  public record Rejected(Reason reason, String message) implements InferResult {}

  /** The batch holding the request failed. */
  public record InferFailed(Throwable cause) implements InferResult {}

  private record BatchFinished(List<Pending> batch, HostTensor output, Throwable failure)
      implements Command {}

  private enum Wake implements Command {
    INSTANCE
  }

  private record Pending(Infer request, int rows, long enqueuedNanos) {}

  private final Predictor predictor;
  private final ServingSettings.Batching settings;
  private final ModelMetrics metrics;
  private final TimerScheduler<Command> timers;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();
  private boolean busy;
  private boolean draining;

  private Batcher(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      Predictor predictor,
      ServingSettings.Batching settings,
      ModelMetrics metrics) {
    super(ctx);
    this.timers = timers;
    this.predictor = predictor;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** A batcher in front of {@code predictor}. */
  public static Behavior<Command> create(
      Predictor predictor, ServingSettings.Batching settings, ModelMetrics metrics) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(t -> new Batcher(ctx, t, predictor, settings, metrics)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Infer.class, this::onInfer)
        .onMessage(BatchFinished.class, this::onBatchFinished)
        .onMessage(Wake.class, w -> dispatch())
        .onMessage(Drain.class, this::onDrain)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> onInfer(Infer infer) {
    if (draining) {
      infer.replyTo().tell(new Rejected(Reason.SHUTTING_DOWN, "the server is shutting down"));
      return this;
    }
    if (queue.size() >= settings.maxQueueSize()) {
      infer
          .replyTo()
          .tell(
              new Rejected(
                  Reason.QUEUE_FULL,
                  "the queue is full (" + settings.maxQueueSize() + " requests waiting)"));
      return this;
    }
    queue.add(new Pending(infer, infer.rows().shape()[0], System.nanoTime()));
    metrics.queueDepth.increment();
    return dispatch();
  }

  private Behavior<Command> onDrain(Drain drain) {
    draining = true;
    drainWaiters.add(drain.replyTo());
    return dispatch();
  }

  /** Dispatches a batch when the instance is free and one is due; otherwise sets the wake-up. */
  private Behavior<Command> dispatch() {
    long now = System.nanoTime();
    expire(now);
    if (busy) {
      scheduleWake(now);
      return this;
    }
    if (queue.isEmpty()) {
      if (draining) {
        drainWaiters.forEach(w -> w.tell(Done.getInstance()));
        drainWaiters.clear();
      }
      return this;
    }
    int take = settings.enabled() ? batchLength(now) : 1;
    if (take == 0) {
      scheduleWake(now);
      return this;
    }
    List<Pending> batch = new ArrayList<>(take);
    for (int i = 0; i < take; i++) {
      Pending p = queue.poll();
      metrics.queueDepth.decrement();
      metrics.queueDuration.record(now - p.enqueuedNanos());
      batch.add(p);
    }
    run(batch);
    return this;
  }

  /**
   * How many queued requests to dispatch now: all that fit when they fill a batch, the longest
   * prefix with a preferred size, or all that fit once the oldest has waited max-queue-delay (or
   * when draining); 0 to wait.
   */
  private int batchLength(long now) {
    int rows = 0;
    int fit = 0;
    int preferred = 0;
    for (Pending p : queue) {
      if (rows + p.rows() > settings.maxBatchSize()) {
        break;
      }
      rows += p.rows();
      fit++;
      if (settings.preferredBatchSizes().contains(rows)) {
        preferred = fit;
      }
    }
    boolean full = rows == settings.maxBatchSize() || fit < queue.size();
    if (full || draining) {
      return fit;
    }
    if (preferred > 0) {
      return preferred;
    }
    long waited = now - queue.peek().enqueuedNanos();
    return waited >= settings.maxQueueDelayMicros() * 1000 ? fit : 0;
  }

  private void run(List<Pending> batch) {
    busy = true;
    int total = 0;
    for (Pending p : batch) {
      total += p.rows();
    }
    metrics.batchSize.record(total);
    CompletionStage<HostTensor> result;
    try {
      result = predictor.predict(concat(batch, total));
    } catch (RuntimeException e) {
      getContext().getSelf().tell(new BatchFinished(batch, null, e));
      return;
    }
    getContext().pipeToSelf(result, (out, err) -> new BatchFinished(batch, out, err));
  }

  private Behavior<Command> onBatchFinished(BatchFinished done) {
    busy = false;
    List<Pending> batch = done.batch();
    int total = batch.stream().mapToInt(Pending::rows).sum();
    Throwable failure = done.failure();
    HostTensor out = done.output();
    if (failure == null && (out == null || out.rank() < 1 || out.shape()[0] != total)) {
      failure =
          new IllegalStateException(
              "the model answered "
                  + (out == null ? "nothing" : Arrays.toString(out.shape()))
                  + " for a batch of "
                  + total
                  + " rows");
    }
    if (failure != null) {
      for (Pending p : batch) {
        p.request().replyTo().tell(new InferFailed(failure));
      }
    } else {
      byte[] bytes = out.data();
      int[] shape = out.shape();
      int rowBytes = bytes.length / total;
      int offset = 0;
      long now = System.nanoTime();
      for (Pending p : batch) {
        shape[0] = p.rows();
        byte[] mine = Arrays.copyOfRange(bytes, offset, offset + rowBytes * p.rows());
        offset += rowBytes * p.rows();
        p.request()
            .replyTo()
            .tell(new Inferred(new HostTensor(out.dtype(), shape, mine), total, now - p.enqueuedNanos()));
      }
    }
    return dispatch();
  }

  /** Answers every queued request whose deadline has passed. */
  private void expire(long now) {
    Iterator<Pending> it = queue.iterator();
    while (it.hasNext()) {
      Pending p = it.next();
      if (now - p.request().deadlineNanos() >= 0) {
        it.remove();
        metrics.queueDepth.decrement();
        p.request()
            .replyTo()
            .tell(
                new Rejected(
                    Reason.TIMED_OUT,
                    "timed out after "
                        + (now - p.enqueuedNanos()) / 1_000_000
                        + " ms in the queue"));
      }
    }
  }

  /** Wakes at the next deadline or at the end of the oldest request's max-queue-delay. */
  private void scheduleWake(long now) {
    if (queue.isEmpty()) {
      timers.cancel(Wake.INSTANCE);
      return;
    }
    long at = Long.MAX_VALUE;
    for (Pending p : queue) {
      at = Math.min(at, p.request().deadlineNanos());
    }
    if (!busy) {
      at = Math.min(at, queue.peek().enqueuedNanos() + settings.maxQueueDelayMicros() * 1000);
    }
    timers.startSingleTimer(Wake.INSTANCE, Duration.ofNanos(Math.max(0, at - now)));
  }

  private Behavior<Command> onStop() {
    for (Pending p : queue) {
      metrics.queueDepth.decrement();
      p.request().replyTo().tell(new Rejected(Reason.SHUTTING_DOWN, "the model was stopped"));
    }
    queue.clear();
    return this;
  }

  private static HostTensor concat(List<Pending> batch, int total) {
    if (batch.size() == 1) {
      return batch.get(0).request().rows();
    }
    HostTensor first = batch.get(0).request().rows();
    int[] shape = first.shape();
    shape[0] = total;
    byte[] all = new byte[first.byteSize() / batch.get(0).rows() * total];
    int offset = 0;
    for (Pending p : batch) {
      byte[] b = p.request().rows().data();
      System.arraycopy(b, 0, all, offset, b.length);
      offset += b.length;
    }
    return new HostTensor(first.dtype(), shape, all);
  }
}
