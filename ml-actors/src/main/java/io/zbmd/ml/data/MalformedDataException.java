package io.zbmd.ml.data;

import java.io.IOException;

/**
 * A data file could not be read because its content is wrong: a bad magic number, a truncated or
 * corrupt stream, absurd dimensions, or images and labels that disagree. The message names the file
 * and the problem.
 *
 * <pre>{@code
 * try {
 *   MnistDataset mnist = MnistDataset.read(Path.of("data/mnist"));
 * } catch (MalformedDataException e) {
 *   System.err.println("bad file " + e.file() + ": " + e.problem());
 * }
 * }</pre>
 */
public class MalformedDataException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final String problem;

  public MalformedDataException(String file, String problem) {
    this(file, problem, null);
  }

  public MalformedDataException(String file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** The file (or class-path resource) that was being read. */
  public String file() {
    return file;
  }

  /** What is wrong with it, without the file name. */
  public String problem() {
    return problem;
  }
}
