package io.zbmd.ml.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Sequential}: PyTorch's parameter names, error context, memory ownership and reuse. */
class SequentialTest extends MlTestSupport {

  private Sequential cnn(Ops ops, SplittableRandom rng) {
    // The CNN: conv 5x5 1->16, ReLU, pool 2, conv 5x5 16->32, ReLU, pool 2, flatten,
    // 512->10.
    return Sequential.builder()
        .add("unflatten", new Unflatten(1, 1, 28, 28))
        .add("conv1", new Conv2d(ops, alloc, 1, 16, 5, rng))
        .add("relu1", new ReLU(alloc))
        .add("pool1", new MaxPool2d(alloc, 2))
        .add("conv2", new Conv2d(ops, alloc, 16, 32, 5, rng))
        .add("relu2", new ReLU(alloc))
        .add("pool2", new MaxPool2d(alloc, 2))
        .add("flatten", new Flatten())
        .add("fc", new Linear(ops, alloc, 512, 10, rng))
        .build();
  }

  @Test
  void parameterNamesAreThoseOfTheEquivalentPyTorchModel() {
    Sequential model = run(ops -> cnn(ops, new SplittableRandom(1)));
    assertEquals(
        List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"),
        List.copyOf(model.parameters().keySet()));
    assertEquals(16 * 25 + 16 + 32 * 16 * 25 + 32 + 5120 + 10, model.parameterCount());
    model.close();

    Sequential unnamed =
        run(
            ops ->
                Sequential.of(
                    new Linear(ops, alloc, 4, 3, new SplittableRandom(2)),
                    new ReLU(alloc),
                    new Linear(ops, alloc, 3, 2, new SplittableRandom(3))));
    assertEquals(
        List.of("0.weight", "0.bias", "2.weight", "2.bias"),
        List.copyOf(unnamed.parameters().keySet()));
    unnamed.close();
  }

  @Test
  void aChildsShapeErrorCarriesItsName() {
    SplittableRandom rng = new SplittableRandom(4);
    Sequential mlp =
        run(
            ops ->
                Sequential.builder()
                    .add("fc1", new Linear(ops, alloc, 784, 128, rng))
                    .add("relu", new ReLU(alloc))
                    .add("fc2", new Linear(ops, alloc, 128, 10, rng))
                    .build());
    Tensor x = upload(new float[64 * 100], 64, 100);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(ops -> mlp.forward(ops, x, true)));
    assertTrue(
        e.getMessage().startsWith("fc1: Linear(in_features=784, out_features=128"), e.getMessage());
    assertTrue(
        e.getMessage().contains("[*, 784]") && e.getMessage().contains("[64, 100]"),
        e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> Sequential.builder().add("a.b", new ReLU(alloc)));
    assertThrows(
        IllegalArgumentException.class,
        () -> Sequential.builder().add("x", new ReLU(alloc)).add("x", new ReLU(alloc)));
    mlp.close();
    x.release();
  }

  @Test
  void trainingStepsAllocateNothingOnceShapesSettleAndCloseReleasesEverything() {
    int before = alloc.live().size();
    SplittableRandom rng = new SplittableRandom(5);
    Sequential model = run(ops -> cnn(ops, rng));
    CrossEntropyLoss loss = new CrossEntropyLoss(alloc);
    Tensor x = upload(uniform(rng, 8 * 784, 0, 1), 8, 784);
    Tensor y = uploadInts(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 8);
    Tensor small = upload(uniform(rng, 3 * 784, 0, 1), 3, 784);
    Tensor smallY = uploadInts(new int[] {1, 2, 3}, 3);
    Runnable step =
        () ->
            run(
                ops -> {
                  model.zeroGrad(ops);
                  loss.forward(ops, model.forward(ops, x, true), y);
                  assertNull(model.backward(ops, loss.backward(ops), false));
                  return null;
                });
    step.run();
    int settled = alloc.allocations();
    step.run();
    step.run();
    assertEquals(settled, alloc.allocations(), "steady-state steps allocate no device memory");
    // A smaller last batch fits in the buffers already there.
    run(
        ops -> {
          loss.forward(ops, model.forward(ops, small, true), smallY);
          model.backward(ops, loss.backward(ops), false);
          return null;
        });
    step.run();
    assertEquals(settled, alloc.allocations(), "a smaller batch reuses the buffers");

    model.close();
    loss.close();
    for (Tensor t : new Tensor[] {x, y, small, smallY}) {
      t.release();
    }
    assertEquals(before, alloc.live().size(), "left live: " + alloc.live());
  }
}
