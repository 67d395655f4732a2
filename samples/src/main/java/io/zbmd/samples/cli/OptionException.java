package io.zbmd.samples.cli;

/**
 * A command-line option or file the command cannot use. {@link CliErrors} prints its message as
 * one line {@code zbmd: error: ...} and exits 2; the message names the option or file.
 */
final class OptionException extends RuntimeException {
  OptionException(String message) {
    super(message);
  }

  OptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
