package io.zbmd.ml.io;

import java.io.IOException;

/**
 * A model file ({@code .safetensors} or {@code .pt}) could not be read because its content is
 * wrong: truncated, a bad header, offsets or shapes that do not match the data, absurd sizes, or a
 * feature this reader does not support. The message names the file and the problem.
 *
 * <pre>{@code
 * try {
 *   Map<String, HostTensor> weights = SafeTensors.read(Path.of("model.safetensors"));
 * } catch (MalformedModelFileException e) {
 *   log.error("cannot load {}: {}", e.file(), e.problem());
 * }
 * }</pre>
 */
public class MalformedModelFileException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final String problem;

  public MalformedModelFileException(String file, String problem) {
    this(file, problem, null);
  }

  public MalformedModelFileException(String file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** The file (or other source) that was being read. */
  public String file() {
    return file;
  }

  /** What is wrong with it, without the file name. */
  public String problem() {
    return problem;
  }
}
