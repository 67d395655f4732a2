package io.zbmd.checkpoint;

/**
 * A run was reopened with a configuration other than the one it started with: resuming it would
 * not continue the same training. The message names every differing key with both values.
 */
public final class RunConfigMismatchException extends RuntimeException {
  private final String runId;

  public RunConfigMismatchException(String runId, String message) {
    super(message);
    this.runId = runId;
  }

  public String runId() {
    return runId;
  }
}
