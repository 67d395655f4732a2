package io.zbmd.ml.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Cuts a {@link Dataset} into {@link Batch}es, epoch after epoch, with a seeded shuffle. Epoch
 * {@code e}'s order depends only on (seed, e), so any batch can be produced without replaying
 * history, and {@link #position()} / {@link #seek} save and restore where the loader stands.
 *
 * <p>Two ways to use it: a cursor ({@link #next()}, {@link #restOfEpoch()}) that moves the
 * position, and pure random access ({@link #batch}, {@link #epoch}, {@link #order}) that does not.
 * A loader is not thread-safe: one actor owns it.
 *
 * <pre>{@code
 * DataLoader loader = new DataLoader(mnist.train(), LoaderOptions.of(64, 42));
 * for (int e = loader.position().epoch(); e < 10; e++) {
 *   for (Batch b : loader.restOfEpoch()) {
 *     step(b);
 *     if (timeToCheckpoint) save(loader.position());
 *   }
 * }
 * }</pre>
 */
public final class DataLoader {
  private final Dataset data;
  private final LoaderOptions options;
  private final int batchesPerEpoch;
  private int epoch;
  private int batch;
  // The order of one epoch, kept because batches of the same epoch are asked for in sequence.
  private int cachedEpoch = -1;
  private int[] cachedOrder;

  public DataLoader(Dataset data, LoaderOptions options) {
    this.data = Objects.requireNonNull(data, "data");
    this.options = Objects.requireNonNull(options, "options");
    int n = data.size();
    int b = options.batchSize();
    this.batchesPerEpoch = options.dropLast() ? n / b : (n + b - 1) / b;
    if (batchesPerEpoch == 0) {
      throw new IllegalArgumentException(
          "a dataset of "
              + n
              + " samples yields no batch of "
              + b
              + (options.dropLast() ? " with dropLast" : ""));
    }
  }

  public LoaderOptions options() {
    return options;
  }

  /** Number of batches in every epoch. */
  public int batchesPerEpoch() {
    return batchesPerEpoch;
  }

  /** Where the cursor stands: the batch {@link #next()} returns. */
  public LoaderPosition position() {
    return new LoaderPosition(epoch, batch, options.seed(), options.batchSize());
  }

  /**
   * Moves the cursor to {@code position}, typically one saved by {@link #position()} before a
   * restart.
   *
   * @throws IllegalArgumentException when it was saved by a loader with another seed or batch size,
   *     or points past the end of an epoch
   */
  public void seek(LoaderPosition position) {
    if (position.seed() != options.seed() || position.batchSize() != options.batchSize()) {
      throw new IllegalArgumentException(
          "position saved with seed "
              + position.seed()
              + " and batch size "
              + position.batchSize()
              + " does not fit a loader with seed "
              + options.seed()
              + " and batch size "
              + options.batchSize());
    }
    if (position.batch() >= batchesPerEpoch) {
      throw new IllegalArgumentException(
          "position batch "
              + position.batch()
              + " past the "
              + batchesPerEpoch
              + " batches of an epoch");
    }
    epoch = position.epoch();
    batch = position.batch();
  }

  /** The batch at the cursor; the cursor then moves on, to the next epoch after the last batch. */
  public Batch next() {
    Batch b = batch(epoch, batch);
    if (++batch == batchesPerEpoch) {
      batch = 0;
      epoch++;
    }
    return b;
  }

  /**
   * The batches from the cursor to the end of the cursor's epoch, moving the cursor as they are
   * taken; once exhausted the cursor stands at batch 0 of the next epoch.
   */
  public Iterable<Batch> restOfEpoch() {
    int e = epoch;
    return () ->
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return epoch == e;
          }

          @Override
          public Batch next() {
            if (!hasNext()) {
              throw new NoSuchElementException("epoch " + e + " is done");
            }
            return DataLoader.this.next();
          }
        };
  }

  /** All batches of epoch {@code e}, without touching the cursor. */
  public Iterable<Batch> epoch(int e) {
    return () ->
        new Iterator<>() {
          private int i;

          @Override
          public boolean hasNext() {
            return i < batchesPerEpoch;
          }

          @Override
          public Batch next() {
            if (!hasNext()) {
              throw new NoSuchElementException(
                  "epoch " + e + " has " + batchesPerEpoch + " batches");
            }
            return batch(e, i++);
          }
        };
  }

  /** Batch {@code index} of epoch {@code e}, without touching the cursor. */
  public Batch batch(int e, int index) {
    if (e < 0) {
      throw new IllegalArgumentException("epoch " + e);
    }
    Objects.checkIndex(index, batchesPerEpoch);
    int[] order = orderOf(e);
    int start = index * options.batchSize();
    int size = Math.min(options.batchSize(), order.length - start);
    int features = data.features();
    float[] images = new float[size * features];
    int[] labels = new int[size];
    for (int k = 0; k < size; k++) {
      int sample = order[start + k];
      data.copyImage(sample, images, k * features);
      labels[k] = data.label(sample);
    }
    return new Batch(images, labels, size, e, index);
  }

  /** The sample order of epoch {@code e}: a permutation of 0..size-1 (the identity unshuffled). */
  public int[] order(int e) {
    return orderOf(e).clone();
  }

  private int[] orderOf(int e) {
    if (e != cachedEpoch) {
      cachedOrder =
          options.shuffle()
              ? EpochPermutation.of(data.size(), options.seed(), e)
              : identity(data.size());
      cachedEpoch = e;
    }
    return cachedOrder;
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }
}
