package io.zbmd.benchmarks.gemm;

import io.zbmd.gpu.DeviceStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The device actor of the benchmark's actor path: on {@link Run} it submits one gemm to its
 * device's stream and answers when the device reports completion, never blocking its dispatcher
 * thread (the stage is piped back to itself).
 */
final class GemmActor {
  interface Command {}

  record Run(ActorRef<Done> replyTo) implements Command {}

  private record Finished(ActorRef<Done> replyTo, Throwable failure) implements Command {}

  enum Done { INSTANCE }

  private GemmActor() {}

  static Behavior<Command> create(DeviceStream stream, DeviceStream.Work<Void> gemm) {
    return Behaviors.setup(ctx -> Behaviors.receive(Command.class)
        .onMessage(Run.class, run -> {
          ctx.pipeToSelf(stream.submit(gemm), (ok, err) -> new Finished(run.replyTo(), err));
          return Behaviors.same();
        })
        .onMessage(Finished.class, f -> {
          if (f.failure() != null) {
            throw new IllegalStateException("gemm failed on " + stream.device().id(), f.failure());
          }
          f.replyTo().tell(Done.INSTANCE);
          return Behaviors.same();
        })
        .build());
  }
}
