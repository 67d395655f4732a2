package io.zbmd.ml.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.nn.Linear;
import io.zbmd.runtime.Zbmd;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The {@link Allocator} adapters over {@link GpuExtension}: accounted to their owner, freed on
 * close.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AllocatorTest {
  private ActorSystem<Void> system;
  private GpuExtension gpu;
  private DeviceId cpu;

  @BeforeAll
  void start() {
    system =
        Zbmd.create(
            Behaviors.empty(),
            "AllocatorTest",
            ConfigFactory.parseString("zbmd.gpu.backends = [cpu]"));
    gpu = GpuExtension.get(system);
    cpu = gpu.defaultDevice().id();
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aNamedComponentsModuleIsAccountedToItAndFreedOnClose() throws Exception {
    Allocator alloc = Allocator.of(gpu, cpu, "mlp-under-test");
    Linear fc =
        gpu.stream(cpu)
            .submit(ops -> new Linear(ops, alloc, 100, 10, new SplittableRandom(1)))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    long bytes = 4L * 2 * (100 * 10 + 10); // weight and bias, values and gradients
    assertEquals(bytes, gpu.memory(cpu).byOwner().get("mlp-under-test"));
    fc.close();
    assertEquals(0L, gpu.memory(cpu).byOwner().getOrDefault("mlp-under-test", 0L));
  }

  @Test
  void throughAnActorsOwnedBuffersReleasesGoBackThroughThemAndCloseTakesTheRest() throws Exception {
    CompletableFuture<int[]> held = new CompletableFuture<>();
    CompletableFuture<Boolean> freedByClose = new CompletableFuture<>();
    system.systemActorOf(
        Behaviors.setup(
            ctx -> {
              OwnedBuffers owned = OwnedBuffers.create(gpu, ctx);
              Allocator alloc = Allocator.of(owned, cpu);
              Tensor t = Tensor.allocate(alloc, "scratch", DType.FLOAT32, 16);
              Tensor view = t.view(4, 4);
              int whileHeld = owned.size();
              view.release();
              t.release(); // through owned.release: the actor holds nothing more
              held.complete(new int[] {whileHeld, owned.size()});
              Tensor left = Tensor.allocate(alloc, "left over", DType.FLOAT32, 16);
              owned.close(); // what an actor does in PostStop
              freedByClose.complete(left.buffer().isFreed());
              return Behaviors.empty();
            }),
        "owner",
        Props.empty());
    assertArrayEquals(new int[] {1, 0}, held.get(30, TimeUnit.SECONDS));
    assertTrue(freedByClose.get(30, TimeUnit.SECONDS));
  }
}
