package io.zbmd.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite every backend passes: each primitive op and composite, on seeded random
 * inputs of awkward shapes (1, primes, non-square, offsets, padding, every enum value), compared
 * with {@link Reference} in double precision; then the argument checks every backend shares.
 * A backend's test is a subclass that says how to create it:
 *
 * <pre>{@code
 * class VulkanBackendConformanceTest extends BackendConformanceTest {
 *   protected Backend createBackend() { return new VulkanBackendProvider().create(ConfigFactory.empty()); }
 * }
 * }</pre>
 *
 * Test methods are public so that subclasses in other packages inherit them. Outputs are
 * pre-filled with data (not relied on to be zero) and compared in full, so a write outside the
 * described range fails too.
 */
public abstract class BackendConformanceTest extends BackendTestSupport {
  /**
   * Elementwise results: one float rounding of an exact value is 6e-8 relative; GPU fast-math
   * exp/log/tanh are a few ulps off. 1e-5 leaves room for that and catches any wrong formula.
   */
  protected static final double ELEMENTWISE_RTOL = 1e-5;
  protected static final double ELEMENTWISE_ATOL = 1e-6;
  /**
   * Sums (gemm, reductions, col2im, linear), relative to the sum of the terms' magnitudes: float
   * accumulation error grows like k * 6e-8 * sum |terms| in the worst case, with k up to 300
   * here, and backends may block, tree-reduce or use FMA. TF32 (1e-3) would fail, as it should.
   */
  protected static final double ACCUMULATION_RTOL = 1e-4;
  protected static final double ACCUMULATION_ATOL = 1e-6;

  // ---- memory ----

  @Test
  public void copiesFloatsToAndFromTheDeviceAtOffsets() {
    float[] src = uniform(random("copyFloats"), 29, -1, 1);
    DeviceBuffer b = allocate(DType.FLOAT32, 37);
    float[] back = new float[25];
    float[] whole = new float[37];
    run(ops -> {
      ops.fill(b, 0, 37, -7f);
      ops.copyFromHost(src, 3, b, 7, 20); // src[3..23) -> b[7..27)
      ops.copyToHost(b, 5, back, 1, 24); // b[5..29) -> back[1..25)
      ops.copyToHost(b, 0, whole, 0, 37);
      return null;
    });
    float[] expected = new float[37];
    java.util.Arrays.fill(expected, -7f);
    System.arraycopy(src, 3, expected, 7, 20);
    assertArrayEquals(expected, whole);
    float[] expectedBack = new float[25];
    System.arraycopy(expected, 5, expectedBack, 1, 24);
    assertArrayEquals(expectedBack, back);
  }

  @Test
  public void copiesIntsToAndFromTheDeviceAtOffsets() {
    int[] src = uniformInts(random("copyInts"), 19, 1000);
    DeviceBuffer b = allocate(DType.INT32, 23);
    int[] whole = new int[23];
    int[] part = new int[10];
    run(ops -> {
      ops.copyFromHost(new int[23], 0, b, 0, 23);
      ops.copyFromHost(src, 2, b, 4, 17);
      ops.copyToHost(b, 6, part, 0, 10);
      ops.copyToHost(b, 0, whole, 0, 23);
      return null;
    });
    int[] expected = new int[23];
    System.arraycopy(src, 2, expected, 4, 17);
    assertArrayEquals(expected, whole);
    assertArrayEquals(java.util.Arrays.copyOfRange(expected, 6, 16), part);
  }

  @Test
  public void copiesBetweenBuffersOfBothTypes() {
    float[] f = uniform(random("copyDevice"), 31, -1, 1);
    int[] i = uniformInts(random("copyDeviceInts"), 13, 50);
    DeviceBuffer fs = upload(f);
    DeviceBuffer fd = upload(new float[40]);
    DeviceBuffer is = upload(i);
    DeviceBuffer id = upload(new int[13]);
    run(ops -> {
      ops.copy(fs, 4, fd, 9, 27);
      ops.copy(fs, 0, fs, 20, 11); // within one buffer, ranges apart
      ops.copy(is, 0, id, 0, 13);
      ops.copy(is, 0, id, 5, 0); // zero count: nothing
      return null;
    });
    float[] expected = new float[40];
    System.arraycopy(f, 4, expected, 9, 27);
    assertArrayEquals(expected, download(fd));
    float[] self = f.clone();
    System.arraycopy(f, 0, self, 20, 11);
    assertArrayEquals(self, download(fs));
    assertArrayEquals(i, downloadInts(id));
  }

  @Test
  public void slicesShareTheirRootsStorageInEveryOp() {
    int n = 3 * DeviceBuffer.SLICE_ALIGNMENT + 5;
    float[] x = uniform(random("slices"), n, -1, 1);
    DeviceBuffer root = upload(x);
    int at = DeviceBuffer.SLICE_ALIGNMENT;
    DeviceBuffer a = root.slice(at, 70, "a");
    DeviceBuffer b = a.slice(DeviceBuffer.SLICE_ALIGNMENT, 6, "b"); // elements at+64 .. at+70
    float[] part = new float[70];
    run(ops -> {
      ops.unary(UnaryOp.NEG, a, a, 70); // kernels see the slice from its first element
      ops.fill(b, 2, 3, 4f);
      ops.copyToHost(a, 0, part, 0, 70);
      return null;
    });
    float[] expected = x.clone();
    for (int i = at; i < at + 70; i++) {
      expected[i] = -x[i];
    }
    java.util.Arrays.fill(expected, at + 66, at + 69, 4f);
    assertArrayEquals(expected, download(root));
    assertArrayEquals(java.util.Arrays.copyOfRange(expected, at, at + 70), part);
    // The storage lives while a slice does: released root first, the slices still read it.
    // Each slice holds one reference on what it was cut from.
    org.junit.jupiter.api.Assertions.assertEquals(2, root.refCnt());
    org.junit.jupiter.api.Assertions.assertEquals(2, a.refCnt());
    root.release();
    org.junit.jupiter.api.Assertions.assertFalse(root.isFreed());
    a.release();
    org.junit.jupiter.api.Assertions.assertFalse(root.isFreed());
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        java.util.Arrays.copyOfRange(expected, at + 64, at + 70), download(b));
    b.release();
    org.junit.jupiter.api.Assertions.assertTrue(root.isFreed());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> upload(x).slice(3, 4, "misaligned"));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> upload(x).slice(at, n, "too long"));
  }

  @Test
  public void fillsARange() {
    float[] x = uniform(random("fill"), 50, -1, 1);
    DeviceBuffer b = upload(x);
    run(ops -> {
      ops.fill(b, 13, 31, 2.5f);
      ops.fill(b, 0, 0, 9f); // zero count: nothing
      return null;
    });
    float[] expected = x.clone();
    java.util.Arrays.fill(expected, 13, 44, 2.5f);
    assertArrayEquals(expected, download(b));
  }

  // ---- gemm ----

  /** Shapes (m, n, k): ones, primes, non-square, and one large enough to use blocked kernels. */
  static Stream<Arguments> gemmCases() {
    int[][] shapes = {{1, 1, 1}, {7, 13, 31}, {31, 7, 13}, {13, 1, 7}, {1, 31, 13}, {64, 48, 300}};
    List<Arguments> cases = new ArrayList<>();
    for (int[] s : shapes) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          for (boolean padded : new boolean[] {false, true}) {
            cases.add(Arguments.of(ta, tb, s[0], s[1], s[2], padded));
          }
        }
      }
    }
    return cases.stream();
  }

  /**
   * Plain: offsets 0, tight leading dimensions, alpha 1, beta 0 over a C full of NaN (which BLAS
   * semantics never read). Padded: offsets, wider leading dimensions, alpha and beta not 0 or 1.
   */
  @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4} padded={5}")
  @MethodSource("gemmCases")
  public void gemm(boolean transA, boolean transB, int m, int n, int k, boolean padded) {
    Random rnd = random("gemm", transA, transB, m, n, k, padded);
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    int aOff = padded ? 3 : 0;
    int bOff = padded ? 5 : 0;
    int cOff = padded ? 2 : 0;
    int lda = aCols + (padded ? 2 : 0);
    int ldb = bCols + (padded ? 1 : 0);
    int ldc = n + (padded ? 3 : 0);
    float alpha = padded ? 0.75f : 1f;
    float beta = padded ? -1.25f : 0f;
    float[] a = uniform(rnd, aOff + (aRows - 1) * lda + aCols + 4, -1, 1);
    float[] b = uniform(rnd, bOff + (bRows - 1) * ldb + bCols + 4, -1, 1);
    float[] c = padded ? uniform(rnd, cOff + (m - 1) * ldc + n + 4, -1, 1)
        : nans(cOff + (m - 1) * ldc + n + 4);
    DeviceBuffer da = upload(a);
    DeviceBuffer db = upload(b);
    DeviceBuffer dc = upload(c);
    run(ops -> {
      ops.gemm(transA, transB, m, n, k, alpha, da, aOff, lda, db, bOff, ldb, beta, dc, cOff, ldc);
      return null;
    });
    assertClose("C", Reference.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta,
        c, cOff, ldc), download(dc), ACCUMULATION_RTOL, ACCUMULATION_ATOL);
  }

  static Stream<Arguments> gemmBatchedCases() {
    List<Arguments> cases = new ArrayList<>();
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (boolean sharedA : new boolean[] {false, true}) {
          cases.add(Arguments.of(ta, tb, sharedA));
        }
      }
    }
    return cases.stream();
  }

  /** Three 5x7x3 products with gaps between the matrices, or one A shared by all (stride 0). */
  @ParameterizedTest(name = "transA={0} transB={1} sharedA={2}")
  @MethodSource("gemmBatchedCases")
  public void gemmStridedBatched(boolean transA, boolean transB, boolean sharedA) {
    Random rnd = random("gemmBatched", transA, transB, sharedA);
    int m = 5;
    int n = 7;
    int k = 3;
    int batch = 3;
    int lda = (transA ? m : k) + 1;
    int ldb = transB ? k : n;
    int ldc = n + 2;
    int strideA = sharedA ? 0 : ((transA ? k : m) * lda + 3);
    int strideB = (transB ? n : k) * ldb + 1;
    int strideC = m * ldc + 5;
    int aOff = 2;
    int bOff = 1;
    int cOff = 4;
    float[] a = uniform(rnd, aOff + strideA * (batch - 1) + (transA ? k : m) * lda + 3, -1, 1);
    float[] b = uniform(rnd, bOff + strideB * (batch - 1) + (transB ? n : k) * ldb + 3, -1, 1);
    float[] c = uniform(rnd, cOff + strideC * (batch - 1) + m * ldc + 3, -1, 1);
    DeviceBuffer da = upload(a);
    DeviceBuffer db = upload(b);
    DeviceBuffer dc = upload(c);
    run(ops -> {
      ops.gemmStridedBatched(transA, transB, m, n, k, -0.5f, da, aOff, lda, strideA, db, bOff, ldb,
          strideB, 2f, dc, cOff, ldc, strideC, batch);
      return null;
    });
    assertClose("C", Reference.gemmStridedBatched(transA, transB, m, n, k, -0.5, a, aOff, lda,
        strideA, b, bOff, ldb, strideB, 2, c, cOff, ldc, strideC, batch), download(dc),
        ACCUMULATION_RTOL, ACCUMULATION_ATOL);
  }

  // ---- elementwise ----

  static Stream<Arguments> unaryCases() {
    List<Arguments> cases = new ArrayList<>();
    for (UnaryOp op : UnaryOp.values()) {
      cases.add(Arguments.of(op, 1, false));
      cases.add(Arguments.of(op, 31, true));
      cases.add(Arguments.of(op, 1000, false));
    }
    return cases.stream();
  }

  /** Inputs from each function's domain: positive for LOG and SQRT, away from 0 for RECIPROCAL. */
  @ParameterizedTest(name = "{0} n={1} inPlace={2}")
  @MethodSource("unaryCases")
  public void unary(UnaryOp op, int n, boolean inPlace) {
    Random rnd = random("unary", op, n, inPlace);
    float[] x = switch (op) {
      case LOG, SQRT -> uniform(rnd, n, 0.01, 10);
      case RECIPROCAL -> awayFromZero(uniform(rnd, n, 0.1, 10), rnd);
      case EXP -> uniform(rnd, n, -10, 10);
      default -> uniform(rnd, n, -5, 5);
    };
    DeviceBuffer dx = upload(x);
    DeviceBuffer dy = inPlace ? dx : upload(uniform(rnd, n, -1, 1));
    run(ops -> {
      ops.unary(op, dx, dy, n);
      return null;
    });
    assertClose(op + "(x)", Reference.unary(op, x), download(dy), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  @ParameterizedTest(name = "n={0} inPlace={1}")
  @MethodSource("sizesAndPlacement")
  public void affine(int n, boolean inPlace) {
    Random rnd = random("affine", n, inPlace);
    float[] x = uniform(rnd, n, -3, 3);
    DeviceBuffer dx = upload(x);
    DeviceBuffer dy = inPlace ? dx : upload(new float[n]);
    run(ops -> {
      ops.affine(dx, dy, n, -1.5f, 0.25f);
      return null;
    });
    double[] expected = new double[n];
    for (int i = 0; i < n; i++) {
      expected[i] = -1.5 * x[i] + 0.25;
    }
    // The sum's error scales with both terms.
    double[] scale = new double[n];
    for (int i = 0; i < n; i++) {
      scale[i] = Math.abs(1.5 * x[i]) + 0.25;
    }
    assertClose("affine", new Reference.Result(expected, scale), download(dy), ELEMENTWISE_RTOL,
        ELEMENTWISE_ATOL);
  }

  static Stream<Arguments> sizesAndPlacement() {
    return Stream.of(Arguments.of(1, false), Arguments.of(13, true), Arguments.of(1000, false));
  }

  static Stream<Arguments> binaryCases() {
    int[][] shapes = {{1, 1}, {7, 13}, {31, 1}, {1, 31}};
    List<Arguments> cases = new ArrayList<>();
    for (BinaryOp op : BinaryOp.values()) {
      for (Broadcast bc : Broadcast.values()) {
        for (int[] s : shapes) {
          // Every other shape writes over a, which the contract allows.
          cases.add(Arguments.of(op, bc, s[0], s[1], s[0] == 7 || s[0] == 1 && s[1] == 1));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}x{3} outIsA={4}")
  @MethodSource("binaryCases")
  public void binary(BinaryOp op, Broadcast broadcast, int rows, int cols, boolean outIsA) {
    Random rnd = random("binary", op, broadcast, rows, cols, outIsA);
    float[] a = uniform(rnd, rows * cols, -2, 2);
    float[] b = binaryOperand(op, rnd, switch (broadcast) {
      case NONE -> rows * cols;
      case ROW -> cols;
      case COLUMN -> rows;
      case SCALAR -> 1;
    });
    DeviceBuffer da = upload(a);
    DeviceBuffer db = upload(b);
    DeviceBuffer out = outIsA ? da : upload(uniform(rnd, rows * cols, -1, 1));
    run(ops -> {
      ops.binary(op, da, db, out, rows, cols, broadcast);
      return null;
    });
    assertClose(op + " " + broadcast, Reference.binary(op, a, b, rows, cols, broadcast), download(out),
        ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  /** {@code out} may be {@code b} when nothing is broadcast. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("binaryOps")
  public void binaryWritesOverB(BinaryOp op) {
    Random rnd = random("binaryOverB", op);
    float[] a = uniform(rnd, 6 * 5, -2, 2);
    float[] b = binaryOperand(op, rnd, 6 * 5);
    DeviceBuffer da = upload(a);
    DeviceBuffer db = upload(b);
    run(ops -> {
      ops.binary(op, da, db, db, 6, 5, Broadcast.NONE);
      return null;
    });
    assertClose(op.toString(), Reference.binary(op, a, b, 6, 5, Broadcast.NONE), download(db),
        ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  static Stream<BinaryOp> binaryOps() {
    return Stream.of(BinaryOp.values());
  }

  /** Away from 0 for DIV; with exact zeros otherwise (RELU_GRAD's {@code b > 0} boundary). */
  private static float[] binaryOperand(BinaryOp op, Random rnd, int n) {
    if (op == BinaryOp.DIV) {
      return awayFromZero(uniform(rnd, n, 0.5, 2), rnd);
    }
    float[] b = uniform(rnd, n, -2, 2);
    for (int i = 0; i < n; i += 3) {
      b[i] = 0f;
    }
    return b;
  }

  // ---- reductions ----

  static Stream<Arguments> reduceCases() {
    int[][] shapes = {{1, 1}, {7, 13}, {31, 1}, {1, 31}, {300, 17}};
    List<Arguments> cases = new ArrayList<>();
    for (ReduceOp op : ReduceOp.values()) {
      for (int axis = 0; axis <= 1; axis++) {
        for (int[] s : shapes) {
          cases.add(Arguments.of(op, axis, s[0], s[1]));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} axis={1} {2}x{3}")
  @MethodSource("reduceCases")
  public void reduce(ReduceOp op, int axis, int rows, int cols) {
    Random rnd = random("reduce", op, axis, rows, cols);
    float[] x = uniform(rnd, rows * cols, -3, 3);
    DeviceBuffer dx = upload(x);
    DeviceBuffer out = upload(uniform(rnd, axis == 0 ? cols : rows, -1, 1));
    run(ops -> {
      ops.reduce(op, dx, out, rows, cols, axis);
      return null;
    });
    assertClose(op + " axis " + axis, Reference.reduce(op, x, rows, cols, axis), download(out),
        ACCUMULATION_RTOL, ACCUMULATION_ATOL);
  }

  static Stream<Arguments> argmaxCases() {
    int[][] shapes = {{1, 1}, {7, 13}, {31, 1}, {1, 31}, {64, 100}};
    List<Arguments> cases = new ArrayList<>();
    for (int[] s : shapes) {
      cases.add(Arguments.of(s[0], s[1], false));
      cases.add(Arguments.of(s[0], s[1], true));
    }
    return cases.stream();
  }

  /** With ties (values from {0, 1, 2}), the first maximum's index. */
  @ParameterizedTest(name = "{0}x{1} ties={2}")
  @MethodSource("argmaxCases")
  public void argmax(int rows, int cols, boolean ties) {
    Random rnd = random("argmax", rows, cols, ties);
    float[] x = uniform(rnd, rows * cols, -4, 4);
    if (ties) {
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextInt(3);
      }
    }
    DeviceBuffer dx = upload(x);
    DeviceBuffer out = upload(uniformInts(rnd, rows, 1000));
    run(ops -> {
      ops.argmax(dx, out, rows, cols);
      return null;
    });
    assertArrayEquals(Reference.argmax(x, rows, cols), downloadInts(out));
  }

  // ---- images ----

  /** channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW. */
  static Stream<ConvGeometry> convGeometries() {
    return Stream.of(
        new ConvGeometry(1, 5, 5, 3, 3, 1, 1, 0, 0),
        new ConvGeometry(3, 7, 13, 3, 2, 2, 1, 1, 2), // non-square everything
        new ConvGeometry(2, 1, 1, 1, 1, 1, 1, 0, 0),
        new ConvGeometry(2, 4, 6, 2, 3, 3, 2, 0, 1), // stride > kernel: skipped pixels
        new ConvGeometry(1, 3, 3, 5, 5, 1, 1, 1, 1), // kernel = padded image: one output
        new ConvGeometry(4, 8, 8, 3, 3, 1, 1, 1, 1)); // "same" padding
  }

  @ParameterizedTest
  @MethodSource("convGeometries")
  public void im2col(ConvGeometry g) {
    Random rnd = random("im2col", g);
    float[] image = uniform(rnd, 3 + (int) g.imageSize() + 2, -1, 1);
    float[] cols = uniform(rnd, 5 + (int) g.columnsSize() + 3, -1, 1);
    DeviceBuffer di = upload(image);
    DeviceBuffer dc = upload(cols);
    run(ops -> {
      ops.im2col(di, 3, g, dc, 5);
      return null;
    });
    assertClose("cols", Reference.im2col(image, 3, g, cols, 5), download(dc), 0, 0);
  }

  /** Adds into an image that already holds values (col2im does not clear). */
  @ParameterizedTest
  @MethodSource("convGeometries")
  public void col2im(ConvGeometry g) {
    Random rnd = random("col2im", g);
    float[] cols = uniform(rnd, 5 + (int) g.columnsSize() + 3, -1, 1);
    float[] image = uniform(rnd, 3 + (int) g.imageSize() + 2, -1, 1);
    DeviceBuffer dc = upload(cols);
    DeviceBuffer di = upload(image);
    run(ops -> {
      ops.col2im(dc, 5, g, di, 3);
      return null;
    });
    assertClose("image", Reference.col2im(cols, 5, g, image, 3), download(di), ACCUMULATION_RTOL,
        ACCUMULATION_ATOL);
  }

  /** planes, height, width, kernel, stride. */
  static Stream<Arguments> poolCases() {
    List<Arguments> cases = new ArrayList<>();
    for (PoolGeometry g : List.of(
        new PoolGeometry(1, 4, 4, 2, 2),
        new PoolGeometry(6, 7, 13, 3, 2), // odd sizes: the last row and column are not covered
        new PoolGeometry(2, 5, 5, 2, 1), // overlapping windows
        new PoolGeometry(3, 1, 1, 1, 1),
        new PoolGeometry(2, 9, 6, 3, 3))) {
      cases.add(Arguments.of(g, false));
      cases.add(Arguments.of(g, true));
    }
    return cases.stream();
  }

  /** With ties (values from {0, 1}), the index of the first maximum in row-major window order. */
  @ParameterizedTest(name = "{0} ties={1}")
  @MethodSource("poolCases")
  public void maxPoolForward(PoolGeometry g, boolean ties) {
    Random rnd = random("poolForward", g, ties);
    float[] x = uniform(rnd, (int) g.inputSize(), -3, 3);
    if (ties) {
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextInt(2);
      }
    }
    DeviceBuffer dx = upload(x);
    DeviceBuffer dy = upload(uniform(rnd, (int) g.outputSize(), -1, 1));
    DeviceBuffer idx = upload(uniformInts(rnd, (int) g.outputSize(), 1000));
    run(ops -> {
      ops.maxPoolForward(dx, dy, idx, g);
      return null;
    });
    Reference.Pooled expected = Reference.maxPoolForward(x, g);
    assertClose("y", Reference.Result.elementwise(expected.values()), download(dy), 0, 0);
    assertArrayEquals(expected.indices(), downloadInts(idx));
  }

  /** dx starts full of data: it is overwritten; overlapping windows add up. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("poolCases")
  public void maxPoolBackward(PoolGeometry g, boolean ties) {
    Random rnd = random("poolBackward", g, ties);
    float[] x = uniform(rnd, (int) g.inputSize(), -3, 3);
    if (ties) {
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextInt(2);
      }
    }
    int[] indices = Reference.maxPoolForward(x, g).indices();
    float[] dy = uniform(rnd, (int) g.outputSize(), -1, 1);
    DeviceBuffer ddy = upload(dy);
    DeviceBuffer didx = upload(indices);
    DeviceBuffer ddx = upload(uniform(rnd, (int) g.inputSize(), 5, 9));
    run(ops -> {
      ops.maxPoolBackward(ddy, didx, ddx, g);
      return null;
    });
    assertClose("dx", Reference.maxPoolBackward(dy, indices, g), download(ddx), ACCUMULATION_RTOL,
        ACCUMULATION_ATOL);
  }

  // ---- softmax cross-entropy ----

  /** rows, cols, and a shift of the logits: +1000 overflows exp unless the row max is subtracted. */
  static Stream<Arguments> softmaxCases() {
    return Stream.of(
        Arguments.of(1, 1, 0f),
        Arguments.of(1, 7, 0f),
        Arguments.of(13, 10, 0f),
        Arguments.of(31, 3, 1000f),
        Arguments.of(4, 1000, -1000f));
  }

  @ParameterizedTest(name = "{0}x{1} shift={2}")
  @MethodSource("softmaxCases")
  public void softmaxCrossEntropyForward(int rows, int cols, float shift) {
    Random rnd = random("softmaxForward", rows, cols, shift);
    float[] logits = uniform(rnd, rows * cols, shift - 8, shift + 8);
    int[] labels = uniformInts(rnd, rows, cols);
    DeviceBuffer dl = upload(logits);
    DeviceBuffer dlab = upload(labels);
    DeviceBuffer probs = upload(uniform(rnd, rows * cols, -1, 1));
    DeviceBuffer losses = upload(uniform(rnd, rows, -1, 1));
    run(ops -> {
      ops.softmaxCrossEntropyForward(dl, dlab, probs, losses, rows, cols);
      return null;
    });
    Reference.SoftmaxCe expected = Reference.softmaxCrossEntropy(logits, labels, rows, cols);
    assertClose("probs", expected.probs(), download(probs), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
    assertClose("losses", expected.losses(), download(losses), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  /** {@code probs} may be {@code logits}: the softmax computed in place. */
  @Test
  public void softmaxCrossEntropyForwardInPlace() {
    Random rnd = random("softmaxInPlace");
    float[] logits = uniform(rnd, 9 * 11, -5, 5);
    int[] labels = uniformInts(rnd, 9, 11);
    DeviceBuffer dl = upload(logits);
    DeviceBuffer losses = allocate(DType.FLOAT32, 9);
    DeviceBuffer dlab = upload(labels);
    run(ops -> {
      ops.softmaxCrossEntropyForward(dl, dlab, dl, losses, 9, 11);
      return null;
    });
    Reference.SoftmaxCe expected = Reference.softmaxCrossEntropy(logits, labels, 9, 11);
    assertClose("probs", expected.probs(), download(dl), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
    assertClose("losses", expected.losses(), download(losses), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  /** Every shape twice: into a separate buffer and over {@code probs} (which the contract allows). */
  static Stream<Arguments> softmaxBackwardCases() {
    return softmaxCases().flatMap(a -> Stream.of(
        Arguments.of(a.get()[0], a.get()[1], false), Arguments.of(a.get()[0], a.get()[1], true)));
  }

  @ParameterizedTest(name = "{0}x{1} inPlace={2}")
  @MethodSource("softmaxBackwardCases")
  public void softmaxCrossEntropyBackward(int rows, int cols, boolean inPlace) {
    Random rnd = random("softmaxBackward", rows, cols, inPlace);
    float[] probs = uniform(rnd, rows * cols, 0, 1);
    int[] labels = uniformInts(rnd, rows, cols);
    float scale = 1f / rows;
    DeviceBuffer dp = upload(probs);
    DeviceBuffer dlab = upload(labels);
    DeviceBuffer dlogits = inPlace ? dp : upload(uniform(rnd, rows * cols, -1, 1));
    run(ops -> {
      ops.softmaxCrossEntropyBackward(dp, dlab, dlogits, rows, cols, scale);
      return null;
    });
    assertClose("dlogits", Reference.softmaxCrossEntropyBackward(probs, labels, rows, cols, scale),
        download(dlogits), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  // ---- optimizers: three steps each, with fresh gradients ----

  /** n, momentum, weight decay; momentum 0 runs without a velocity buffer. */
  static Stream<Arguments> sgdCases() {
    return Stream.of(
        Arguments.of(1, 0f, 0f),
        Arguments.of(31, 0.9f, 0f),
        Arguments.of(13, 0f, 5e-4f),
        Arguments.of(1000, 0.9f, 1e-2f));
  }

  @ParameterizedTest(name = "n={0} momentum={1} weightDecay={2}")
  @MethodSource("sgdCases")
  public void sgdUpdate(int n, float momentum, float weightDecay) {
    Random rnd = random("sgd", n, momentum, weightDecay);
    float lr = 0.05f;
    float[] p = uniform(rnd, n, -1, 1);
    DeviceBuffer dp = upload(p);
    DeviceBuffer dv = momentum == 0 ? null : upload(new float[n]);
    double[] rp = Reference.toDouble(p);
    double[] rv = new double[n];
    for (int step = 1; step <= 3; step++) {
      float[] g = uniform(rnd, n, -1, 1);
      DeviceBuffer dg = upload(g);
      run(ops -> {
        ops.sgdUpdate(dp, dg, dv, n, lr, momentum, weightDecay);
        return null;
      });
      Reference.sgd(rp, g, momentum == 0 ? null : rv, lr, momentum, weightDecay);
    }
    assertClose("param", Reference.Result.elementwise(rp), download(dp), ELEMENTWISE_RTOL,
        ELEMENTWISE_ATOL);
    if (dv != null) {
      assertClose("velocity", Reference.Result.elementwise(rv), download(dv), ELEMENTWISE_RTOL,
          ELEMENTWISE_ATOL);
    }
  }

  /** n, weight decay, beta2. */
  static Stream<Arguments> adamCases() {
    return Stream.of(
        Arguments.of(1, 0f, 0.999f),
        Arguments.of(31, 1e-2f, 0.999f),
        Arguments.of(1000, 0f, 0.99f));
  }

  @ParameterizedTest(name = "n={0} weightDecay={1} beta2={2}")
  @MethodSource("adamCases")
  public void adamUpdate(int n, float weightDecay, float beta2) {
    Random rnd = random("adam", n, weightDecay, beta2);
    float lr = 1e-2f;
    float beta1 = 0.9f;
    float eps = 1e-8f;
    float[] p = uniform(rnd, n, -1, 1);
    DeviceBuffer dp = upload(p);
    DeviceBuffer dm = upload(new float[n]);
    DeviceBuffer dv = upload(new float[n]);
    double[] rp = Reference.toDouble(p);
    double[] rm = new double[n];
    double[] rv = new double[n];
    for (int step = 1; step <= 3; step++) {
      float[] g = uniform(rnd, n, -1, 1);
      DeviceBuffer dg = upload(g);
      int s = step;
      run(ops -> {
        ops.adamUpdate(dp, dg, dm, dv, n, lr, beta1, beta2, eps, weightDecay, s);
        return null;
      });
      Reference.adam(rp, g, rm, rv, lr, beta1, beta2, eps, weightDecay, step);
    }
    assertClose("param", Reference.Result.elementwise(rp), download(dp), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
    assertClose("m", Reference.Result.elementwise(rm), download(dm), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
    assertClose("v", Reference.Result.elementwise(rv), download(dv), ELEMENTWISE_RTOL, ELEMENTWISE_ATOL);
  }

  // ---- composites ----

  /** batch, in, out. */
  static Stream<Arguments> linearCases() {
    List<Arguments> cases = new ArrayList<>();
    for (int[] s : new int[][] {{1, 1, 1}, {7, 13, 5}, {32, 31, 10}}) {
      cases.add(Arguments.of(s[0], s[1], s[2], false));
      cases.add(Arguments.of(s[0], s[1], s[2], true));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "batch={0} in={1} out={2} bias={3}")
  @MethodSource("linearCases")
  public void linearForward(int batch, int in, int out, boolean withBias) {
    Random rnd = random("linearForward", batch, in, out, withBias);
    float[] x = uniform(rnd, batch * in, -1, 1);
    float[] w = uniform(rnd, out * in, -1, 1);
    float[] bias = uniform(rnd, out, -1, 1);
    DeviceBuffer dx = upload(x);
    DeviceBuffer dw = upload(w);
    DeviceBuffer db = withBias ? upload(bias) : null;
    DeviceBuffer dy = upload(uniform(rnd, batch * out, -1, 1));
    run(ops -> {
      ops.linearForward(dx, dw, db, dy, batch, in, out);
      return null;
    });
    // y = x w^T (+ bias as a beta=1 term over a C holding the broadcast bias).
    float[] c = new float[batch * out];
    for (int i = 0; i < batch; i++) {
      for (int j = 0; j < out; j++) {
        c[i * out + j] = withBias ? bias[j] : 0f;
      }
    }
    assertClose("y", Reference.gemm(false, true, batch, out, in, 1, x, 0, in, w, 0, in, 1, c, 0, out),
        download(dy), ACCUMULATION_RTOL, ACCUMULATION_ATOL);
  }

  /** Without bias: also without dx (a first layer) and dbias. */
  @ParameterizedTest(name = "batch={0} in={1} out={2} all gradients={3}")
  @MethodSource("linearCases")
  public void linearBackward(int batch, int in, int out, boolean all) {
    Random rnd = random("linearBackward", batch, in, out, all);
    float[] x = uniform(rnd, batch * in, -1, 1);
    float[] w = uniform(rnd, out * in, -1, 1);
    float[] dy = uniform(rnd, batch * out, -1, 1);
    DeviceBuffer ddy = upload(dy);
    DeviceBuffer dx = upload(x);
    DeviceBuffer dw = upload(w);
    DeviceBuffer gx = all ? upload(uniform(rnd, batch * in, -1, 1)) : null;
    DeviceBuffer gw = upload(uniform(rnd, out * in, -1, 1));
    DeviceBuffer gb = all ? upload(uniform(rnd, out, -1, 1)) : null;
    run(ops -> {
      ops.linearBackward(dx, dw, ddy, gx, gw, gb, batch, in, out);
      return null;
    });
    assertClose("dw", Reference.gemm(true, false, out, in, batch, 1, dy, 0, out, x, 0, in, 0,
        new float[out * in], 0, in), download(gw), ACCUMULATION_RTOL, ACCUMULATION_ATOL);
    if (all) {
      assertClose("dx", Reference.gemm(false, false, batch, in, out, 1, dy, 0, out, w, 0, in, 0,
          new float[batch * in], 0, in), download(gx), ACCUMULATION_RTOL, ACCUMULATION_ATOL);
      assertClose("dbias", Reference.reduce(ReduceOp.SUM, dy, batch, out, 0), download(gb),
          ACCUMULATION_RTOL, ACCUMULATION_ATOL);
    }
  }

  // ---- helpers ----

  private static float[] nans(int n) {
    float[] x = new float[n];
    java.util.Arrays.fill(x, Float.NaN);
    return x;
  }

  /** Gives each value a random sign, keeping it away from zero. */
  private static float[] awayFromZero(float[] positive, Random rnd) {
    for (int i = 0; i < positive.length; i++) {
      if (rnd.nextBoolean()) {
        positive[i] = -positive[i];
      }
    }
    return positive;
  }
}
