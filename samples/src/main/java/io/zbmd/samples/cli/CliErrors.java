package io.zbmd.samples.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Where every error of the {@code zbmd} CLI is printed: one line {@code zbmd: error: ...}, exit 2
 * for a bad option or file (picocli's parse errors and {@link OptionException}), exit 1 for a
 * failure while running. A stack trace only with {@code -v}/{@code --verbose}.
 */
final class CliErrors implements IParameterExceptionHandler, IExecutionExceptionHandler {
  static final int USAGE = 2;
  static final int FAILURE = 1;

  /** Installs both handlers on {@code cli} (and, through picocli, on its subcommands). */
  static CommandLine install(CommandLine cli) {
    CliErrors errors = new CliErrors();
    return cli.setParameterExceptionHandler(errors).setExecutionExceptionHandler(errors);
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("zbmd: error: " + e.getMessage());
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for its options.");
    err.flush();
    return USAGE;
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    err.println("zbmd: error: " + describe(e));
    if (verbose(parsed)) {
      e.printStackTrace(err);
    }
    err.flush();
    return e instanceof OptionException ? USAGE : FAILURE;
  }

  /** The message, or the exception's class where it has none (an NPE's message may be null). */
  static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static boolean verbose(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("-v") || p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
