/**
 * Tensors: shaped handles on device memory ({@link io.zbmd.ml.tensor.Tensor}), where their memory
 * comes from ({@link io.zbmd.ml.tensor.Allocator}) and reusable per-step tensors ({@link
 * io.zbmd.ml.tensor.TensorSlot}). Computation goes through the backend SPI ({@link
 * io.zbmd.gpu.Ops}) inside a {@link io.zbmd.gpu.DeviceStream.Work}, so any backend runs it.
 */
package io.zbmd.ml.tensor;
