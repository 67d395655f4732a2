package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Bad input, for every backend: each mistake fails the stage (never hangs it, never crashes the
 * JVM, never writes a wrong result) with an exception whose message names the op, the argument,
 * and what was expected. Subclass it next to {@link BackendConformanceTest}.
 */
public abstract class BackendArgumentChecksTest extends BackendTestSupport {

  /** A buffer no backend allocated: on another device, or posing as this one's. */
  private static final class ForeignBuffer extends DeviceBuffer {
    ForeignBuffer(DeviceId device) {
      super(device, DType.FLOAT32, 64, "test");
    }

    @Override
    protected void freeStorage() {}
  }

  @Test
  public void negativeSizeIsNamed() {
    DeviceBuffer a = allocate(DType.FLOAT32, 12);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.binary(BinaryOp.ADD, a, a, a, -3, 4, Broadcast.NONE);
      return null;
    });
    assertMessage(e, "binary", "rows", "-3");
  }

  @Test
  public void zeroDimensionIsRejected() {
    DeviceBuffer a = allocate(DType.FLOAT32, 16);
    DeviceBuffer c = allocate(DType.FLOAT32, 16);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.gemm(false, false, 4, 4, 0, 1f, a, 0, 4, a, 0, 4, 0f, c, 0, 4);
      return null;
    });
    assertMessage(e, "gemm", "k must be > 0", "0");
  }

  @Test
  public void offsetPastTheEndIsNamed() {
    DeviceBuffer b = allocate(DType.FLOAT32, 10);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.copyToHost(b, 8, new float[5], 0, 5);
      return null;
    });
    assertMessage(e, "copyToHost", "src", "[8, 13)", "holds 10");
  }

  @Test
  public void negativeOffsetIsNamed() {
    DeviceBuffer a = allocate(DType.FLOAT32, 100);
    DeviceBuffer c = allocate(DType.FLOAT32, 100);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.gemm(false, false, 3, 3, 3, 1f, a, -1, 3, a, 0, 3, 0f, c, 0, 3);
      return null;
    });
    assertMessage(e, "gemm", "aOffset", "-1");
  }

  @Test
  public void hostArrayTooShortIsNamed() {
    DeviceBuffer b = allocate(DType.FLOAT32, 10);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.copyFromHost(new float[4], 1, b, 0, 4);
      return null;
    });
    assertMessage(e, "copyFromHost", "src", "[1, 5)", "holds 4");
  }

  @Test
  public void outputTooSmallIsNamed() {
    DeviceBuffer x = allocate(DType.FLOAT32, 7 * 13);
    DeviceBuffer out = allocate(DType.FLOAT32, 12);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.reduce(ReduceOp.SUM, x, out, 7, 13, 0);
      return null;
    });
    assertMessage(e, "reduce", "out", "[0, 13)", "holds 12");
  }

  @Test
  public void geometryLargerThanItsBuffersIsNamed() {
    ConvGeometry g = new ConvGeometry(3, 8, 8, 3, 3, 1, 1, 1, 1);
    DeviceBuffer image = allocate(DType.FLOAT32, g.imageSize());
    DeviceBuffer cols = allocate(DType.FLOAT32, g.columnsSize() - 1);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.im2col(image, 0, g, cols, 0);
      return null;
    });
    assertMessage(e, "im2col", "cols", String.valueOf(g.columnsSize()));
  }

  @Test
  public void int32WhereFloat32IsNeeded() {
    DeviceBuffer ints = allocate(DType.INT32, 8);
    DeviceBuffer y = allocate(DType.FLOAT32, 8);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.unary(UnaryOp.EXP, ints, y, 8);
      return null;
    });
    assertMessage(e, "unary", "x must be FLOAT32", "INT32");
  }

  @Test
  public void float32LabelsAreRejected() {
    DeviceBuffer logits = allocate(DType.FLOAT32, 12);
    DeviceBuffer labels = allocate(DType.FLOAT32, 3);
    DeviceBuffer probs = allocate(DType.FLOAT32, 12);
    DeviceBuffer losses = allocate(DType.FLOAT32, 3);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.softmaxCrossEntropyForward(logits, labels, probs, losses, 3, 4);
      return null;
    });
    assertMessage(e, "softmaxCrossEntropyForward", "labels must be INT32", "FLOAT32");
  }

  @Test
  public void copyBetweenTypesIsRejected() {
    DeviceBuffer f = allocate(DType.FLOAT32, 8);
    DeviceBuffer i = allocate(DType.INT32, 8);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.copy(f, 0, i, 0, 8);
      return null;
    });
    assertMessage(e, "copy", "dst must be FLOAT32", "INT32");
  }

  @Test
  public void nullBufferIsNamed() {
    DeviceBuffer x = allocate(DType.FLOAT32, 8);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.affine(x, null, 8, 1f, 0f);
      return null;
    });
    assertMessage(e, "affine", "y is null");
  }

  @Test
  public void useAfterFreeIsAnIllegalState() {
    DeviceBuffer x = allocate(DType.FLOAT32, 8);
    x.release();
    IllegalStateException e = failure(IllegalStateException.class, ops -> {
      ops.unary(UnaryOp.RELU, x, x, 8);
      return null;
    });
    assertMessage(e, "unary", "use after free: buffer#" + x.id());
  }

  @Test
  public void doubleReleaseIsAnIllegalState() {
    DeviceBuffer x = allocate(DType.FLOAT32, 8);
    x.retain();
    x.release();
    x.release();
    IllegalStateException e = assertThrows(IllegalStateException.class, x::release);
    assertMessage(e, "double free", "buffer#" + x.id());
  }

  @Test
  public void bufferOfAnotherDeviceIsNamed() {
    DeviceBuffer x = allocate(DType.FLOAT32, 64);
    DeviceBuffer elsewhere = new ForeignBuffer(new DeviceId("elsewhere", 3));
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.binary(BinaryOp.MUL, x, elsewhere, x, 8, 8, Broadcast.NONE);
      return null;
    });
    assertMessage(e, "binary", "b", "elsewhere:3", device.toString());
  }

  /** Same device id, but not this backend's storage: a cast or a raw pointer would crash. */
  @Test
  public void bufferOfAnotherBackendIsRejected() {
    DeviceBuffer x = allocate(DType.FLOAT32, 64);
    DeviceBuffer impostor = new ForeignBuffer(device);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.copy(impostor, 0, x, 0, 64);
      return null;
    });
    assertMessage(e, "copy", "src", "another backend");
  }

  @Test
  public void gemmLeadingDimensionBelowTheRowLengthIsNamed() {
    DeviceBuffer a = allocate(DType.FLOAT32, 1000);
    DeviceBuffer c = allocate(DType.FLOAT32, 1000);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      // op(A) = A^T is 5 x 9, so the stored A is 9 x 5: lda must be >= 5.
      ops.gemm(true, false, 5, 4, 9, 1f, a, 0, 4, a, 0, 4, 0f, c, 0, 4);
      return null;
    });
    assertMessage(e, "gemm", "lda must be >= 5", "got 4");
  }

  /** The last row of a padded matrix ends before lda does: only its last element must fit. */
  @Test
  public void gemmMatrixPastTheEndIsRejected() {
    DeviceBuffer a = allocate(DType.FLOAT32, 3 * 4);
    DeviceBuffer b = allocate(DType.FLOAT32, 4 * 2);
    DeviceBuffer c = allocate(DType.FLOAT32, 3 * 2);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.gemm(false, false, 3, 2, 4, 1f, a, 1, 4, b, 0, 2, 0f, c, 0, 2);
      return null;
    });
    assertMessage(e, "gemm", "a needs elements [1, 13)", "holds 12");
  }

  @Test
  public void gemmOutputOverlappingAnInputIsRejected() {
    DeviceBuffer ab = allocate(DType.FLOAT32, 100);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.gemm(false, false, 4, 4, 4, 1f, ab, 0, 4, ab, 16, 4, 0f, ab, 20, 4);
      return null;
    });
    assertMessage(e, "gemm", "c overlaps b");
  }

  @Test
  public void batchesWritingTheSameOutputAreRejected() {
    DeviceBuffer a = allocate(DType.FLOAT32, 16);
    DeviceBuffer c = allocate(DType.FLOAT32, 16);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.gemmStridedBatched(false, false, 4, 4, 4, 1f, a, 0, 4, 0, a, 0, 4, 0, 0f, c, 0, 4, 0, 2);
      return null;
    });
    assertMessage(e, "gemmStridedBatched", "strideC must be >= 16");
  }

  @Test
  public void overlappingCopyIsRejected() {
    DeviceBuffer x = allocate(DType.FLOAT32, 20);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.copy(x, 0, x, 5, 10);
      return null;
    });
    assertMessage(e, "copy", "dst overlaps src");
  }

  @Test
  public void reduceAxisIsChecked() {
    DeviceBuffer x = allocate(DType.FLOAT32, 6);
    DeviceBuffer out = allocate(DType.FLOAT32, 6);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.reduce(ReduceOp.MAX, x, out, 2, 3, 2);
      return null;
    });
    assertMessage(e, "reduce", "axis", "got 2");
  }

  @Test
  public void optimizerHyperparametersAreChecked() {
    DeviceBuffer p = allocate(DType.FLOAT32, 4);
    DeviceBuffer g = allocate(DType.FLOAT32, 4);
    DeviceBuffer m = allocate(DType.FLOAT32, 4);
    DeviceBuffer v = allocate(DType.FLOAT32, 4);
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.adamUpdate(p, g, m, v, 4, 1e-3f, 1f, 0.999f, 1e-8f, 0f, 1);
      return null;
    }), "adamUpdate", "beta1", "[0.0, 1.0)", "1.0");
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.adamUpdate(p, g, m, v, 4, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0);
      return null;
    }), "adamUpdate", "step must be > 0");
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.sgdUpdate(p, g, null, 4, 0.1f, 0.9f, 0f);
      return null;
    }), "sgdUpdate", "velocity is null", "momentum");
    assertMessage(failure(IllegalArgumentException.class, ops -> {
      ops.adamUpdate(p, g, m, m, 4, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1);
      return null;
    }), "adamUpdate", "v and m are the same");
  }

  @Test
  public void compositeArgumentsAreCheckedByName() {
    DeviceBuffer x = allocate(DType.FLOAT32, 4 * 3);
    DeviceBuffer w = allocate(DType.FLOAT32, 5 * 3 - 1);
    DeviceBuffer y = allocate(DType.FLOAT32, 4 * 5);
    IllegalArgumentException e = failure(IllegalArgumentException.class, ops -> {
      ops.linearForward(x, w, null, y, 4, 3, 5);
      return null;
    });
    assertMessage(e, "linearForward", "w needs elements [0, 15)", "holds 14");
  }

  /** Checks run before an op writes: a rejected call leaves its outputs as they were. */
  @Test
  public void aRejectedOpWritesNothing() {
    float[] before = {1, 2, 3, 4, 5, 6};
    DeviceBuffer logits = upload(new float[] {0, 0, 0, 0, 0, 0});
    DeviceBuffer labels = upload(new int[] {0, 1});
    DeviceBuffer probs = upload(before);
    DeviceBuffer losses = allocate(DType.FLOAT32, 1); // needs 2
    failure(IllegalArgumentException.class, ops -> {
      ops.softmaxCrossEntropyForward(logits, labels, probs, losses, 2, 3);
      return null;
    });
    assertArrayEquals(before, download(probs));
  }

  @Test
  public void theStreamGoesOnAfterAFailedStage() {
    DeviceBuffer x = upload(new float[] {1, -2, 3});
    failure(IllegalArgumentException.class, ops -> {
      ops.unary(UnaryOp.ABS, x, x, 4);
      return null;
    });
    failure(IllegalStateException.class, ops -> {
      throw new IllegalStateException("the work itself failed");
    });
    Integer seven = run(ops -> {
      ops.unary(UnaryOp.ABS, x, x, 3);
      return 7;
    });
    assertEquals(7, seven);
    assertArrayEquals(new float[] {1, 2, 3}, download(x));
  }
}
