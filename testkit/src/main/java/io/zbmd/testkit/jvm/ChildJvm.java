package io.zbmd.testkit.jvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * One child JVM started by {@link ChildJvms}: its process, its output files, and the faults a
 * test puts on it ({@link #kill} is SIGKILL, {@link #pause} SIGSTOP, {@link #resume} SIGCONT).
 *
 * <pre>{@code
 * ChildJvm node = jvms.start("node-1", NodeMain.class, "--port", "2551");
 * node.awaitOutput(line -> line.contains("ready"), Duration.ofSeconds(20));
 * node.kill();
 * }</pre>
 */
public final class ChildJvm {
  private final String name;
  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private final List<String> command;

  ChildJvm(String name, Process process, Path stdout, Path stderr, List<String> command) {
    this.name = name;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.command = List.copyOf(command);
  }

  /** The name given at start; also the stem of its output files. */
  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  /** The file its standard output goes to. */
  public Path stdoutFile() {
    return stdout;
  }

  /** The file its standard error goes to. */
  public Path stderrFile() {
    return stderr;
  }

  /** The command line it was started with. */
  public List<String> command() {
    return command;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Its standard output so far. */
  public String stdout() {
    return read(stdout);
  }

  /** Its standard error so far. */
  public String stderr() {
    return read(stderr);
  }

  /**
   * Waits until a line of its standard output matches, and returns that line.
   *
   * @throws TimeoutException naming the process, with the tail of its output, when no line
   *     matched in time or the process exited first
   */
  public String awaitOutput(Predicate<String> line, Duration timeout)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean exited = !process.isAlive();
      for (String l : stdout().split("\n", -1)) {
        if (line.test(l)) {
          return l;
        }
      }
      if (exited) {
        throw new TimeoutException(this + " exited with " + process.exitValue()
            + " before printing the awaited line; " + tails());
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(this + " printed no awaited line within " + timeout + "; "
            + tails());
      }
      Thread.sleep(20);
    }
  }

  /** Waits for the process to exit and returns its exit status. */
  public int awaitExit(Duration timeout) throws TimeoutException, InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new TimeoutException(this + " did not exit within " + timeout + "; " + tails());
    }
    return process.exitValue();
  }

  /** SIGKILL: the process dies at once, without shutdown hooks; the kernel resets its sockets. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the process hangs (a stuck node): its sockets stay open but nothing answers. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT: a paused process carries on. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .redirectErrorStream(true)
          .start();
      String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + process.pid() + " (" + name
            + ") failed: " + out.trim());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal + " for " + this, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending SIG" + signal + " to " + this, e);
    }
  }

  /** The last lines of both output files, for failure messages. */
  public String tails() {
    return "stdout (" + stdout + "):\n" + tail(stdout()) + "\nstderr (" + stderr + "):\n"
        + tail(stderr());
  }

  private static String tail(String text) {
    String[] lines = text.split("\n");
    int from = Math.max(0, lines.length - 20);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  @Override
  public String toString() {
    return "child JVM '" + name + "' (pid " + process.pid() + ")";
  }
}
