/**
 * Training data on the host: {@link io.zbmd.ml.data.IdxReader} reads MNIST's IDX files (raw or
 * gzip) into an immutable {@link io.zbmd.ml.data.Dataset}, {@link io.zbmd.ml.data.MnistDataset}
 * finds the four standard files in a directory or on the class path, and {@link
 * io.zbmd.ml.data.DataLoader} cuts a dataset into seeded, shuffled, resumable {@link
 * io.zbmd.ml.data.Batch}es.
 *
 * <pre>{@code
 * MnistDataset mnist = MnistDataset.read(Path.of("data/mnist"));
 * DataLoader loader = new DataLoader(mnist.train(), LoaderOptions.of(64, 42));
 * Batch first = loader.next();   // 64 images of 784 values in [0, 1], their labels
 * }</pre>
 */
package io.zbmd.ml.data;
