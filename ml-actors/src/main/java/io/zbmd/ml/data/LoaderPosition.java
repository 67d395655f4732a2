package io.zbmd.ml.data;

/**
 * Where a {@link DataLoader} stands: the next batch it yields is batch {@code batch} of epoch
 * {@code epoch}. Saved with a checkpoint and given back to {@link DataLoader#seek}, it makes a
 * resumed run see exactly the batches the interrupted run would have seen. The seed and batch size
 * travel along so that a position is never applied to a loader that would cut different batches.
 *
 * <pre>{@code
 * LoaderPosition saved = loader.position();   // store it next to the weights
 * ...
 * DataLoader resumed = new DataLoader(train, LoaderOptions.of(64, 42));
 * resumed.seek(saved);                        // continues with the same remaining batches
 * }</pre>
 *
 * @param epoch epoch of the next batch, from 0
 * @param batch index of the next batch within that epoch, from 0
 * @param seed the loader's shuffle seed
 * @param batchSize the loader's batch size
 */
public record LoaderPosition(int epoch, int batch, long seed, int batchSize) {
  public LoaderPosition {
    if (epoch < 0 || batch < 0 || batchSize < 1) {
      throw new IllegalArgumentException(
          "position epoch " + epoch + ", batch " + batch + ", batch size " + batchSize);
    }
  }
}
