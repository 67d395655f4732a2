package io.zbmd.ml.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of a {@code .safetensors} file: its tensors, in the order of the file's header, and
 * the free-form string metadata of its {@code __metadata__} entry (empty when there is none).
 *
 * <pre>{@code
 * SafeTensorsFile f = SafeTensors.readFile(Path.of("model.safetensors"));
 * String format = f.metadata().get("format");   // "pt" for files saved from PyTorch
 * HostTensor w = f.tensors().get("fc1.weight");
 * }</pre>
 */
public record SafeTensorsFile(Map<String, HostTensor> tensors, Map<String, String> metadata) {
  public SafeTensorsFile {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }
}
