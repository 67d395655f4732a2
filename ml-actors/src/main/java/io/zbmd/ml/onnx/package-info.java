/**
 * ONNX import: {@link io.zbmd.ml.onnx.OnnxModel} reads and checks an {@code .onnx} file (protobuf,
 * classes generated at build time from the official {@code onnx.proto}; initializers inline or as
 * external data), and {@link io.zbmd.ml.onnx.OnnxGraph} runs it on any backend as a {@link
 * io.zbmd.ml.nn.Module}, built from the primitive {@link io.zbmd.gpu.Ops}: inference with PyTorch's
 * numbers, and fine-tuning, since every operator but the shape ones has a gradient.
 */
package io.zbmd.ml.onnx;
