/**
 * ML on zbmd's backends: device tensors ({@code tensor}), layers and losses with PyTorch's
 * layouts and parameter names ({@code nn}), optimizers with exportable state ({@code optim}),
 * MNIST IDX data and a resumable loader ({@code data}), and PyTorch weight files in and out
 * ({@code io}: safetensors, torch.save state dicts). Every computation goes through the backend
 * SPI ({@link io.zbmd.gpu.Ops}), so the same model runs on the CPU, Vulkan or CUDA.
 *
 * <p>The actors (model, layer, optimizer, data loader) and the training supervisor come next.
 */
package io.zbmd.ml;
