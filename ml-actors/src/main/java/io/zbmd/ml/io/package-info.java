/**
 * PyTorch compatibility on the host: {@link io.zbmd.ml.io.SafeTensors} reads and writes {@code
 * .safetensors}, {@link io.zbmd.ml.io.PtReader} reads {@code torch.save} state_dicts ({@code .pt}),
 * both as maps from parameter names ({@code fc1.weight}) to {@link io.zbmd.ml.io.HostTensor}s in
 * PyTorch's layouts. A damaged or unsupported file is a {@link
 * io.zbmd.ml.io.MalformedModelFileException} naming the file and the problem.
 *
 * <pre>{@code
 * Map<String, HostTensor> state = PtReader.read(Path.of("mlp.pt"));
 * SafeTensors.write(Path.of("mlp.safetensors"), state);        // loads in Python with safetensors
 * }</pre>
 */
package io.zbmd.ml.io;
