/**
 * Layers and losses with PyTorch's layouts, names and default initialisations: {@link
 * io.zbmd.ml.nn.Linear}, {@link io.zbmd.ml.nn.ReLU}, {@link io.zbmd.ml.nn.Conv2d}, {@link
 * io.zbmd.ml.nn.MaxPool2d}, {@link io.zbmd.ml.nn.Flatten}, {@link io.zbmd.ml.nn.Unflatten}, {@link
 * io.zbmd.ml.nn.Dropout}, {@link io.zbmd.ml.nn.Sequential}; {@link io.zbmd.ml.nn.CrossEntropyLoss}
 * and {@link io.zbmd.ml.nn.MSELoss}. Forward and backward passes enqueue their work on the {@link
 * io.zbmd.gpu.Ops} they are given (see {@link io.zbmd.ml.nn.Module}); parameter gradients
 * accumulate until {@code zeroGrad}.
 */
package io.zbmd.ml.nn;
