package io.zbmd.ml.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One batch from a {@link DataLoader}: {@code size} images as a row-major {@code [size, features]}
 * float array, their labels, and where it came from ({@code epoch}, batch {@code index} within the
 * epoch). The arrays belong to the batch; a batch is handed from the loader to its one consumer.
 *
 * <p>{@link #split} cuts a batch into micro-batches: when a step runs out of device memory, the
 * training supervisor runs the same samples in smaller pieces and accumulates their gradients.
 *
 * <pre>{@code
 * Batch b = loader.next();                  // e.g. 64 images
 * for (Batch micro : b.split(2)) {          // two of 32, same epoch and index
 *   ...
 * }
 * }</pre>
 *
 * @param images {@code size * features} pixel values, sample after sample
 * @param labels one label per sample
 * @param size number of samples
 * @param epoch the epoch this batch belongs to
 * @param index the batch's position within its epoch
 */
public record Batch(float[] images, int[] labels, int size, int epoch, int index) {

  public Batch {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    if (size <= 0 || labels.length != size || images.length % size != 0) {
      throw new IllegalArgumentException(
          "batch of "
              + size
              + " with "
              + labels.length
              + " labels and "
              + images.length
              + " values");
    }
  }

  /** Values per sample. */
  public int features() {
    return images.length / size;
  }

  /**
   * Splits into {@code parts} consecutive micro-batches that together hold exactly this batch's
   * samples in order; sizes differ by at most one (the first ones take the remainder). Each keeps
   * this batch's epoch and index.
   *
   * @param parts between 1 and {@link #size}
   */
  public List<Batch> split(int parts) {
    if (parts < 1 || parts > size) {
      throw new IllegalArgumentException("cannot split a batch of " + size + " into " + parts);
    }
    int features = features();
    List<Batch> out = new ArrayList<>(parts);
    int start = 0;
    for (int p = 0; p < parts; p++) {
      int n = size / parts + (p < size % parts ? 1 : 0);
      out.add(
          new Batch(
              Arrays.copyOfRange(images, start * features, (start + n) * features),
              Arrays.copyOfRange(labels, start, start + n),
              n,
              epoch,
              index));
      start += n;
    }
    return out;
  }

  /** Splits into the fewest even micro-batches of at most {@code maxSize} samples each. */
  public List<Batch> microBatches(int maxSize) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("micro-batch size " + maxSize);
    }
    return split((size + maxSize - 1) / maxSize);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Batch b
        && size == b.size
        && epoch == b.epoch
        && index == b.index
        && Arrays.equals(labels, b.labels)
        && Arrays.equals(images, b.images);
  }

  @Override
  public int hashCode() {
    return Objects.hash(size, epoch, index, Arrays.hashCode(labels), Arrays.hashCode(images));
  }

  @Override
  public String toString() {
    return "Batch[epoch " + epoch + ", index " + index + ", " + size + " samples]";
  }
}
