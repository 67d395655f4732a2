package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceStream;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * One device work at a time for a device actor (what {@link ModelActor} is built on, and what an
 * actor of your own that owns device memory should use): a command that
 * needs the device while a work is in flight waits in the stash; a finished work's outcome comes
 * back as the actor's own message and is delivered on its thread, then stashed commands replay
 * until one starts the next work; on stop, what the actor owns is freed once no work uses it.
 *
 * <pre>{@code
 * work = new SerialDeviceWork<>(ctx, stash, stream, WorkFinished::new);
 * // in the command handler:
 * if (work.deferIfBusy(c)) return this;
 * work.run(ops -> ..., (value, err) -> () -> replyTo.tell(...));
 * // on WorkFinished m:  return work.finished(this, m.deliver());
 * // on PostStop:        work.afterStop(this::freeAll);
 * }</pre>
 *
 * <p>A complete actor built on it is in this module's tests ({@code ScaleActorExampleTest}): it
 * owns one device buffer, scales it by message and frees it when it stops.
 *
 * @param <C> the actor's command type
 */
public final class SerialDeviceWork<C> {
  private final ActorContext<C> ctx;
  private final StashBuffer<C> stash;
  private final DeviceStream stream;
  private final Function<Runnable, C> finished;
  private boolean busy;
  private CompletionStage<?> inFlight;

  /**
   * @param finished wraps a finished work's delivery in the actor's message for it
   */
  public SerialDeviceWork(
      ActorContext<C> ctx, StashBuffer<C> stash, DeviceStream stream, Function<Runnable, C> finished) {
    this.ctx = ctx;
    this.stash = stash;
    this.stream = stream;
    this.finished = finished;
  }

  /** Whether a work is in flight (or the actor is otherwise busy, see {@link #hold}). */
  public boolean busy() {
    return busy;
  }

  /** Stashes {@code command} while busy: true when it did, and the caller is done with it. */
  public boolean deferIfBusy(C command) {
    if (busy) {
      stash.stash(command);
      return true;
    }
    return false;
  }

  /** Busy without a device work (e.g. waiting for another actor's reply). */
  public void hold() {
    busy = true;
  }

  /**
   * Submits {@code work}, marks the actor busy, and pipes the outcome back. {@code onDone} runs on
   * the completing thread and must only build the closure; the closure runs on the actor's thread.
   */
  public <T> void run(DeviceStream.Work<T> work, BiFunction<T, Throwable, Runnable> onDone) {
    busy = true;
    CompletionStage<T> stage = DeviceWork.submit(stream, work);
    inFlight = stage;
    ctx.pipeToSelf(
        stage, (v, err) -> finished.apply(onDone.apply(v, DeviceWork.unwrap(err))));
  }

  /**
   * Delivers a finished work's outcome, then replays stashed commands into {@code actor} until
   * one starts a work. A delivery that throws fails the actor (as a failed build should).
   */
  public Behavior<C> finished(Behavior<C> actor, Runnable deliver) {
    delivered(deliver);
    return release(actor);
  }

  /** Delivers a finished work's outcome, still busy: {@link #release} follows. */
  public void delivered(Runnable deliver) {
    inFlight = null;
    deliver.run();
  }

  /** Not busy any more: replays stashed commands into {@code actor} until one makes it busy. */
  public Behavior<C> release(Behavior<C> actor) {
    busy = false;
    while (!busy && !stash.isEmpty()) {
      stash.unstash(actor, 1, Function.identity());
    }
    return actor;
  }

  /** Runs {@code free} now, or once the work in flight is done with the actor's buffers. */
  public void afterStop(Runnable free) {
    CompletionStage<?> pending = inFlight;
    if (pending == null || pending.toCompletableFuture().isDone()) {
      free.run();
    } else {
      pending.whenComplete((v, err) -> free.run());
    }
  }
}
