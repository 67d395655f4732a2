package io.zbmd.ml.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable labelled image set: {@code size()} images of {@code rows × cols} pixels, stored
 * row-major as floats in [0, 1] (byte / 255, as PyTorch's {@code ToTensor} scales), shape {@code
 * [size, rows * cols]}, and one integer label per image.
 *
 * <p>The constructor and the array accessors copy; {@link #copyImage} and {@link #label} read
 * without copying the whole set.
 *
 * <pre>{@code
 * Dataset train = MnistDataset.read(Path.of("data/mnist")).train();
 * float[] first = new float[train.features()];
 * train.copyImage(0, first, 0);
 * int digit = train.label(0);
 * }</pre>
 *
 * @param images {@code size * rows * cols} pixel values, image after image
 * @param labels one label per image
 * @param rows pixel rows per image
 * @param cols pixel columns per image
 */
public record Dataset(float[] images, int[] labels, int rows, int cols) {

  public Dataset {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException("image size " + rows + "x" + cols);
    }
    if ((long) labels.length * rows * cols != images.length) {
      throw new IllegalArgumentException(
          labels.length
              + " labels need "
              + (long) labels.length * rows * cols
              + " pixel values of "
              + rows
              + "x"
              + cols
              + " images, got "
              + images.length);
    }
    images = images.clone();
    labels = labels.clone();
  }

  /** A copy of all pixel values, {@code [size, rows * cols]} row-major. */
  @Override
  public float[] images() {
    return images.clone();
  }

  /** A copy of all labels. */
  @Override
  public int[] labels() {
    return labels.clone();
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  /** Values per image ({@code rows * cols}; 784 for MNIST). */
  public int features() {
    return rows * cols;
  }

  /** The label of image {@code index}. */
  public int label(int index) {
    return labels[index];
  }

  /** Copies image {@code index} into {@code into} starting at {@code offset}. */
  public void copyImage(int index, float[] into, int offset) {
    Objects.checkIndex(index, labels.length);
    System.arraycopy(images, index * features(), into, offset, features());
  }

  /** How many images carry each label: element {@code k} counts label {@code k}. */
  public int[] labelCounts() {
    int max = -1;
    for (int l : labels) {
      if (l < 0) {
        throw new IllegalStateException("negative label " + l);
      }
      max = Math.max(max, l);
    }
    int[] counts = new int[max + 1];
    for (int l : labels) {
      counts[l]++;
    }
    return counts;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Dataset d
        && rows == d.rows
        && cols == d.cols
        && Arrays.equals(labels, d.labels)
        && Arrays.equals(images, d.images);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rows, cols, Arrays.hashCode(labels), Arrays.hashCode(images));
  }

  @Override
  public String toString() {
    return "Dataset[" + size() + " images of " + rows + "x" + cols + "]";
  }
}
