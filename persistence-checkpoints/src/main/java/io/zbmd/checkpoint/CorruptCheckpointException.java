package io.zbmd.checkpoint;

import java.io.IOException;

/**
 * A checkpoint cannot be used: its file is missing, shorter or longer than recorded, its sha256
 * differs from the journal's, or its content does not parse as a checkpoint. The message names the
 * file and the problem, e.g. {@code checkpoint file:///.../step-000000000120.safetensors is
 * truncated: 1,024 bytes of 5,242,880}.
 *
 * <pre>{@code
 * try {
 *   resume(store.read(saved));
 * } catch (CorruptCheckpointException e) {
 *   log.warn("skipping {}: {}", e.location(), e.problem());   // fall back to an older one
 * }
 * }</pre>
 */
public class CorruptCheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String location;
  private final String problem;

  /**
   * @param location the file's URI or path
   * @param problem what is wrong, completing "checkpoint LOCATION is ...": {@code "missing"},
   *     {@code "truncated: 10 bytes of 20"}, {@code "corrupt: sha256 is ... but ..."}
   */
  public CorruptCheckpointException(String location, String problem) {
    this(location, problem, null);
  }

  public CorruptCheckpointException(String location, String problem, Throwable cause) {
    super("checkpoint " + location + " is " + problem, cause);
    this.location = location;
    this.problem = problem;
  }

  /** The file's URI or path. */
  public String location() {
    return location;
  }

  /** What is wrong with it, without the location. */
  public String problem() {
    return problem;
  }
}
