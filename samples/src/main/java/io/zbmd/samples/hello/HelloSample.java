package io.zbmd.samples.hello;

import io.zbmd.runtime.Zbmd;
import io.zbmd.runtime.supervision.ChildSpec;
import io.zbmd.runtime.supervision.Strategy;
import io.zbmd.runtime.supervision.Supervisor;
import io.zbmd.runtime.supervision.SupervisorSpec;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The hello-actor sample, step by step: an echo actor answers an ask; a counter under an
 * OTP-style supervisor crashes and comes back with fresh state; the supervisor shuts its children
 * down in reverse order. Run it with {@code ./zbmd hello}.
 */
public final class HelloSample {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<SpawnProtocol.Command> system;
  private final PrintStream out;

  private HelloSample(ActorSystem<SpawnProtocol.Command> system, PrintStream out) {
    this.system = system;
    this.out = out;
  }

  /** Runs the sample, printing each step to {@code out}. */
  public static void run(PrintStream out) throws Exception {
    out.println("1. Starting actor system 'hello' with zbmd's defaults");
    ActorSystem<SpawnProtocol.Command> system = Zbmd.create(SpawnProtocol.create(), "hello");
    try {
      new HelloSample(system, out).steps();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      out.println("8. Actor system terminated");
    }
  }

  private void steps() throws Exception {
    ActorRef<Echo.Command> echo = spawn(Echo.create(), "echo");
    out.println("2. Asking the echo actor " + echo.path() + " to say 'hello, zbmd'");
    Echo.Said said = ask(echo, r -> new Echo.Say("hello, zbmd", r));
    out.println("   echo replied: '" + said.text() + "'");

    out.println("3. Starting a one_for_one supervisor with a permanent child 'counter'");
    SupervisorSpec spec = SupervisorSpec.builder()
        .strategy(Strategy.ONE_FOR_ONE)
        .intensity(3, Duration.ofSeconds(5))
        .child(ChildSpec.permanent("counter", () -> Counter.create(out)))
        .build();
    ActorRef<Supervisor.Command> supervisor = spawn(Supervisor.create(spec), "supervisor");
    ActorRef<Counter.Command> counter = child(supervisor, "counter");
    out.println("4. Incrementing the counter: " + ask(counter, Counter.Increment::new)
        + ", " + ask(counter, Counter.Increment::new));

    out.println("5. Crashing the counter (it throws; the supervisor decides what happens)");
    counter.tell(Counter.Crash.INSTANCE);
    ActorRef<Counter.Command> restarted = awaitRestart(supervisor, "counter", counter);
    out.println("6. The supervisor restarted the counter: " + restarted.path()
        + "; incrementing it gives " + ask(restarted, Counter.Increment::new)
        + " (fresh state)");

    out.println("7. Shutting the supervisor down (children stop in reverse start order)");
    ask(supervisor, Supervisor.Shutdown::new);
  }

  private <T> ActorRef<T> spawn(Behavior<T> behavior, String name) throws Exception {
    return ask(system, r -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), r));
  }

  private ActorRef<Counter.Command> child(ActorRef<Supervisor.Command> supervisor, String id)
      throws Exception {
    Supervisor.Children children = ask(supervisor, Supervisor.WhichChildren::new);
    return children.find(id).flatMap(Supervisor.ChildInfo::ref)
        .orElseThrow(() -> new IllegalStateException("supervisor has no running child " + id))
        .unsafeUpcast();
  }

  /** Polls the supervisor until {@code id} runs under a new ref. */
  private ActorRef<Counter.Command> awaitRestart(ActorRef<Supervisor.Command> supervisor,
      String id, ActorRef<Counter.Command> old) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      Supervisor.Children children = ask(supervisor, Supervisor.WhichChildren::new);
      var ref = children.find(id).flatMap(Supervisor.ChildInfo::ref);
      if (ref.isPresent() && !ref.get().equals(old)) {
        return ref.get().unsafeUpcast();
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(id + " was not restarted within " + TIMEOUT);
  }

  private <Req, Res> Res ask(ActorRef<Req> target, Function<ActorRef<Res>, Req> message)
      throws Exception {
    CompletionStage<Res> reply = AskPattern.ask(target, message::apply, TIMEOUT, system.scheduler());
    return reply.toCompletableFuture().get(TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
  }
}
