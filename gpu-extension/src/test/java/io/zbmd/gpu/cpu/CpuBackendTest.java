package io.zbmd.gpu.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendTestSupport;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceKind;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.UnaryOp;
import org.junit.jupiter.api.Test;

/** What only the CPU backend does: checking device-resident labels and indices, and its lifecycle. */
class CpuBackendTest extends BackendTestSupport {
  @Override
  protected Backend createBackend() {
    return new CpuBackendProvider().create(ConfigFactory.empty());
  }

  @Test
  void isAvailableWithOneCpuDevice() {
    assertTrue(new CpuBackendProvider().isAvailable(), () -> "OpenBLAS: "
        + new CpuBackendProvider().unavailabilityCause());
    assertEquals(1, backend.devices().size());
    assertEquals("cpu:0", device.toString());
    assertEquals(DeviceKind.CPU, backend.devices().get(0).kind());
  }

  /** Labels live on the device: other backends cannot check them cheaply, the CPU one does. */
  @Test
  void labelsOutsideTheClassesAreRejectedBeforeAnyWrite() {
    float[] before = {1, 2, 3, 4, 5, 6};
    DeviceBuffer logits = upload(new float[6]);
    DeviceBuffer labels = upload(new int[] {2, 3});
    DeviceBuffer probs = upload(before);
    DeviceBuffer losses = upload(new float[2]);
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.softmaxCrossEntropyForward(logits, labels, probs, losses, 2, 3);
      return null;
    }), "softmaxCrossEntropyForward", "labels[1] = 3", "[0, 3)");
    assertArrayEquals(before, download(probs));
    DeviceBuffer negative = upload(new int[] {-1, 0});
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.softmaxCrossEntropyBackward(probs, negative, probs, 2, 3, 0.5f);
      return null;
    }), "softmaxCrossEntropyBackward", "labels[0] = -1");
    assertArrayEquals(before, download(probs));
  }

  @Test
  void maxPoolIndicesOutsideThePlaneAreRejected() {
    PoolGeometry g = new PoolGeometry(2, 4, 4, 2, 2);
    DeviceBuffer dy = upload(new float[8]);
    DeviceBuffer indices = upload(new int[] {0, 1, 4, 5, 0, 16, 0, 0});
    DeviceBuffer dx = upload(new float[32]);
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.maxPoolBackward(dy, indices, dx, g);
      return null;
    }), "maxPoolBackward", "indices[5] = 16", "4x4");
  }

  /**
   * A second CPU backend's buffers also say cpu:0 and are CPU buffers, so they pass the device
   * check; what can go wrong is using them after that backend closed, which freed them.
   */
  @Test
  void closingABackendFreesItsBuffersAndRefusesNewOnes() {
    Backend other = new CpuBackendProvider().create(ConfigFactory.empty());
    DeviceBuffer leaked = other.allocate(device, DType.FLOAT32, 8, "leaky-actor");
    leaked.retain(); // two references: close frees it anyway
    other.close();
    assertTrue(leaked.isFreed());
    assertThrows(IllegalStateException.class, () -> other.allocate(device, DType.FLOAT32, 8, "late"));
    DeviceBuffer mine = allocate(DType.FLOAT32, 8);
    assertMessage(failure(IllegalStateException.class, ops -> {
      ops.unary(UnaryOp.NEG, leaked, mine, 8);
      return null;
    }), "use after free: buffer#" + leaked.id());
  }

  @Test
  void aClosedStreamFailsNewWorkInsteadOfHanging() {
    Backend other = new CpuBackendProvider().create(ConfigFactory.empty());
    other.close();
    var stage = other.stream(device).submit(ops -> 1).toCompletableFuture();
    assertTrue(stage.isCompletedExceptionally());
  }
}
