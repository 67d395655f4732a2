package io.zbmd.ml.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.ml.MlTestSupport;
import org.junit.jupiter.api.Test;

/** {@link Tensor} handles and {@link TensorSlot}: shapes, host transfers, views and ownership. */
class TensorTest extends MlTestSupport {

  @Test
  void shapesAndHostRoundTrips() {
    Tensor t = upload(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertArrayEquals(new int[] {2, 3}, t.shape());
    assertEquals(2, t.rank());
    assertEquals(3, t.dim(-1));
    assertEquals(6, t.numel());
    assertEquals(DType.FLOAT32, t.dtype());
    assertEquals(device, t.device());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, download(t));
    run(ops -> t.fill(ops, 7f));
    assertArrayEquals(new float[] {7, 7, 7, 7, 7, 7}, download(t));
    assertThrows(IllegalArgumentException.class, () -> run(ops -> t.fromHost(ops, new float[5])));
    assertThrows(IllegalArgumentException.class, () -> run(ops -> t.toHostInts(ops)));
    assertThrows(IndexOutOfBoundsException.class, () -> t.dim(2));
    assertEquals("Tensor[2, 3] FLOAT32 on cpu:0", t.toString());
    t.release();

    Tensor labels = uploadInts(new int[] {3, 1, 4}, 3);
    assertArrayEquals(new int[] {3, 1, 4}, run(labels::toHostInts));
    labels.release();
    assertThrows(
        IllegalArgumentException.class, () -> Tensor.allocate(alloc, "bad", DType.FLOAT32, 2, 0));
  }

  @Test
  void viewsShareTheBufferAndHoldTheirOwnReference() {
    Tensor t = upload(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor flat = t.view(6);
    Tensor firstRow = t.view(3);
    assertSame(t.buffer(), flat.buffer());
    assertArrayEquals(new float[] {1, 2, 3}, download(firstRow));
    assertThrows(IllegalArgumentException.class, () -> t.view(7));
    t.release();
    assertFalse(t.buffer().isFreed(), "the views still hold it");
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, download(flat));
    flat.release();
    firstRow.release();
    assertTrue(t.buffer().isFreed());
    assertThrows(IllegalStateException.class, t::release);
  }

  @Test
  void aSlotReusesItsBufferUntilALargerShapeComes() {
    TensorSlot slot = new TensorSlot(alloc, DType.FLOAT32, "slot");
    Tensor a = slot.get(4, 8);
    assertSame(a, slot.get(4, 8), "the same shape: the same tensor");
    Tensor smaller = slot.get(2, 8);
    assertSame(a.buffer(), smaller.buffer(), "a smaller shape: a view of the same buffer");
    assertEquals(1, slot.allocations());
    Tensor larger = slot.get(5, 8);
    assertNotSame(a.buffer(), larger.buffer());
    assertEquals(2, slot.allocations());
    assertTrue(a.buffer().isFreed(), "the old buffer went once nothing held it");
    slot.close();
    assertTrue(larger.buffer().isFreed());
    slot.close(); // idempotent
  }
}
