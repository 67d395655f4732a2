package io.zbmd.ml.data;

/**
 * How a {@link DataLoader} batches: batch size, the seed of its per-epoch shuffle, whether to
 * shuffle at all, and whether to drop a last batch smaller than the rest.
 *
 * <pre>{@code
 * LoaderOptions opts = LoaderOptions.of(64, 42);          // shuffled, last partial batch kept
 * LoaderOptions eval = LoaderOptions.of(256, 0).withShuffle(false);
 * }</pre>
 *
 * @param batchSize samples per batch, at least 1
 * @param seed seed of the shuffle; epoch {@code e} uses a permutation derived from (seed, e)
 * @param shuffle false to keep the dataset's order in every epoch
 * @param dropLast true to skip a final batch of fewer than {@code batchSize} samples
 */
public record LoaderOptions(int batchSize, long seed, boolean shuffle, boolean dropLast) {
  public LoaderOptions {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize);
    }
  }

  /** Shuffled batches of {@code batchSize}, keeping a last partial batch. */
  public static LoaderOptions of(int batchSize, long seed) {
    return new LoaderOptions(batchSize, seed, true, false);
  }

  public LoaderOptions withShuffle(boolean shuffle) {
    return new LoaderOptions(batchSize, seed, shuffle, dropLast);
  }

  public LoaderOptions withDropLast(boolean dropLast) {
    return new LoaderOptions(batchSize, seed, shuffle, dropLast);
  }
}
