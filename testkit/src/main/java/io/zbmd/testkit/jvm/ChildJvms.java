package io.zbmd.testkit.jvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Starts child JVMs running a main class from this JVM's classpath (the test classpath under
 * Maven), with output to files, and kills every one of them on {@link #close} (and, should the
 * test JVM exit first, from a shutdown hook). Use one per test, in try-with-resources.
 *
 * <pre>{@code
 * try (ChildJvms jvms = ChildJvms.create(Path.of("target/child-jvms/my-test"))) {
 *   List<Integer> ports = FreePorts.pick(3);
 *   ChildJvm a = jvms.start("a", NodeMain.class, "--port", ports.get(0).toString());
 *   a.awaitOutput(l -> l.startsWith("ready"), Duration.ofSeconds(20));
 *   a.kill(); // SIGKILL
 * }
 * }</pre>
 */
public final class ChildJvms implements AutoCloseable {
  private final Path outputDir;
  private final List<String> jvmOptions = new ArrayList<>();
  private final List<ChildJvm> started = new CopyOnWriteArrayList<>();
  private final Thread hook;

  private ChildJvms(Path outputDir) {
    this.outputDir = outputDir;
    this.hook = new Thread(this::destroyAll, "zbmd-child-jvms-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    // Small heaps and a quick start: tests start several of these on a small machine.
    jvmOptions.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Xshare:auto"));
  }

  /** A launcher whose children write {@code <name>.out} and {@code <name>.err} under a folder. */
  public static ChildJvms create(Path outputDir) {
    try {
      Files.createDirectories(outputDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + outputDir, e);
    }
    return new ChildJvms(outputDir);
  }

  /**
   * Replaces the JVM options given to later children (default: a 256 MiB heap, serial GC, C1
   * only). Tests that measure speed want the full compiler: pass an empty list.
   */
  public ChildJvms jvmOptions(List<String> options) {
    jvmOptions.clear();
    jvmOptions.addAll(options);
    return this;
  }

  /** Starts {@code mainClass} with {@code args} in a new JVM named {@code name}. */
  public ChildJvm start(String name, Class<?> mainClass, String... args) {
    return start(name, mainClass, List.of(), List.of(args));
  }

  /** Starts {@code mainClass} with extra JVM options ({@code -Dkey=value}, ...) and arguments. */
  public ChildJvm start(String name, Class<?> mainClass, List<String> extraJvmOptions,
      List<String> args) {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("child JVM name must be letters, digits, '.', '_' or "
          + "'-' (it names its output files), got '" + name + "'");
    }
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(extraJvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    Path out = outputDir.resolve(name + ".out");
    Path err = outputDir.resolve(name + ".err");
    try {
      Process p = new ProcessBuilder(command)
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .start();
      ChildJvm jvm = new ChildJvm(name, p, out, err, command);
      started.add(jvm);
      return jvm;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start child JVM '" + name + "' running "
          + mainClass.getName() + ": " + e.getMessage(), e);
    }
  }

  /** The children started so far, in order. */
  public List<ChildJvm> started() {
    return List.copyOf(started);
  }

  /** SIGKILLs every child still alive and waits for it to go. */
  @Override
  public void close() {
    destroyAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run: nothing to remove.
    }
  }

  private void destroyAll() {
    for (ChildJvm jvm : started) {
      // SIGKILL works on a stopped process too; no SIGCONT needed.
      jvm.process().destroyForcibly();
    }
    for (ChildJvm jvm : started) {
      try {
        jvm.process().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
