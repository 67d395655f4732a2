package io.zbmd.ml.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One batch from a {@link DataLoader}, or made ad hoc: {@code size} inputs as a row-major {@code
 * [size, features]} float array, their targets, and where it came from ({@code epoch}, batch {@code
 * index} within the epoch; 0 for ad-hoc data). Targets are class labels ({@code labels}, for a
 * classification loss such as {@code CrossEntropyLoss}) or float rows ({@code targets}, {@code
 * [size, targetFeatures]}, for a regression loss such as {@code MSELoss}): exactly one of the two
 * is non-null. The arrays belong to the batch; a batch is handed from its producer to one consumer.
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
 * <pre>{@code
 * Batch digits = Batch.of(pixels, labels);          // classification
 * Batch points = Batch.regression(xs, ys);          // regression: ys has size * k values
 * }</pre>
 *
 * @param images {@code size * features} input values, sample after sample
 * @param labels one label per sample, or null when {@code targets} are given
 * @param targets {@code size * k} float targets, sample after sample, or null when {@code labels}
 *     are given
 * @param size number of samples
 * @param epoch the epoch this batch belongs to
 * @param index the batch's position within its epoch
 */
public record Batch(
    float[] images, int[] labels, float[] targets, int size, int epoch, int index) {

  public Batch {
    Objects.requireNonNull(images, "images");
    if ((labels == null) == (targets == null)) {
      throw new IllegalArgumentException("a batch has either labels or float targets, not both");
    }
    int targetCount = labels != null ? labels.length : targets.length;
    boolean fits =
        labels != null ? labels.length == size : size > 0 && targets.length % size == 0;
    if (size <= 0 || !fits || images.length % size != 0 || images.length == 0) {
      throw new IllegalArgumentException(
          "batch of "
              + size
              + " with "
              + targetCount
              + (labels != null ? " labels" : " targets")
              + " and "
              + images.length
              + " values");
    }
  }

  /** A batch with class labels, from a loader's epoch and position. */
  public Batch(float[] images, int[] labels, int size, int epoch, int index) {
    this(images, Objects.requireNonNull(labels, "labels"), null, size, epoch, index);
  }

  /** An ad-hoc classification batch: one label per sample, {@code images.length / labels.length} features. */
  public static Batch of(float[] images, int[] labels) {
    return new Batch(images, labels, null, labels.length, 0, 0);
  }

  /** An ad-hoc regression batch of {@code size} samples with float targets. */
  public static Batch regression(float[] inputs, float[] targets, int size) {
    return new Batch(inputs, null, Objects.requireNonNull(targets, "targets"), size, 0, 0);
  }

  /** Values per sample. */
  public int features() {
    return images.length / size;
  }

  /** Target values per sample: 1 for labels. */
  public int targetFeatures() {
    return labels != null ? 1 : targets.length / size;
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
      int k = targetFeatures();
      out.add(
          new Batch(
              Arrays.copyOfRange(images, start * features, (start + n) * features),
              labels == null ? null : Arrays.copyOfRange(labels, start, start + n),
              targets == null ? null : Arrays.copyOfRange(targets, start * k, (start + n) * k),
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
        && Arrays.equals(targets, b.targets)
        && Arrays.equals(images, b.images);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        size,
        epoch,
        index,
        Arrays.hashCode(labels),
        Arrays.hashCode(targets),
        Arrays.hashCode(images));
  }

  @Override
  public String toString() {
    return "Batch[epoch " + epoch + ", index " + index + ", " + size + " samples]";
  }
}
