package io.zbmd.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.io.SafeTensors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero data loss, end to end: {@code zbmd train} runs in a separate JVM and is killed with SIGKILL
 * at random moments, some of them while a checkpoint file is being written; each time it is
 * started again with the same {@code --run-id} and resumes. The moments alternate: anywhere, the
 * instant a checkpoint was reported saved, and while a checkpoint file is being written. Its final weights must be
 * bit-identical to those of an uninterrupted run with the same seed on the CPU backend, and no
 * checkpoint the killed process had reported as saved may be missing when it resumes.
 */
class KillAndResumeTest {
  private static final int KILLS = 12;
  private static final Pattern SAVED = Pattern.compile("checkpoint saved: step (\\d+)");
  private static final Pattern RESUMED = Pattern.compile("resuming run \\S+ from its checkpoint at step (\\d+)");

  /** A child JVM running zbmd train, its output lines queued as they come. */
  private static final class Child {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>();

    Child(Path dataDir, String runId, Path export) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("-Xshare:auto");
      cmd.add("-XX:TieredStopAtLevel=1");
      cmd.add(ZbmdCli.class.getName());
      cmd.addAll(
          List.of(
              "train", "--run-id", runId, "--data-dir", dataDir.toString(),
              "--backend", "cpu", "--limit", "2000", "--epochs", "12", "--batch", "32",
              "--hidden", "256", "--checkpoint-every", "3", "--verbose",
              "--export", export.toString()));
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l; (l = r.readLine()) != null; ) {
                    all.add(l); // first: whoever sees the line in the queue finds it in all
                    lines.add(l);
                  }
                } catch (IOException ignored) {
                  // the process was killed
                }
              },
              "child-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits for a line containing {@code text}; false if the process ended first. */
    boolean await(String text, long seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        String l = lines.poll(50, TimeUnit.MILLISECONDS);
        if (l != null && l.contains(text)) {
          return true;
        }
        if (l == null && !process.isAlive()) {
          return false;
        }
      }
      fail("no line with '" + text + "' within " + seconds + " s; output:\n" + String.join("\n", all));
      return false;
    }

    long lastSavedStep() {
      long last = -1;
      for (String l : all) {
        Matcher m = SAVED.matcher(l);
        if (m.find()) {
          last = Math.max(last, Long.parseLong(m.group(1)));
        }
      }
      return last;
    }

    int finish() throws InterruptedException {
      assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the run did not finish");
      Thread.sleep(100); // let the reader drain
      return process.exitValue();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush
      assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aRunKilledAtRandomMomentsEndsWithTheWeightsOfAnUninterruptedRun(@TempDir Path tmp)
      throws Exception {
    Path reference = tmp.resolve("reference.safetensors");
    Child whole = new Child(tmp.resolve("uninterrupted"), "whole", reference);
    assertEquals(0, whole.finish(), () -> String.join("\n", whole.all));

    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path dataDir = tmp.resolve("killed");
    Path checkpoints = dataDir.resolve("checkpoints").resolve("killed");
    Path export = tmp.resolve("killed.safetensors");
    int kills = 0;
    int duringWrite = 0;
    long previouslySaved = -1;
    List<String> log = new ArrayList<>();
    while (kills < KILLS) {
      Child child = new Child(dataDir, "killed", export);
      // "run killed: journal and checkpoints under ..." or "resuming run killed from ...": the
      // run is open, its temporary files removed, training about to start.
      boolean started = child.await("run killed", 60);
      long resumedAt = child.all.stream()
          .map(RESUMED::matcher).filter(Matcher::find)
          .mapToLong(m -> Long.parseLong(m.group(1))).findFirst().orElse(0);
      // Nothing the killed process reported as saved was lost.
      assertTrue(
          resumedAt >= previouslySaved,
          "resumed at step " + resumedAt + " but step " + previouslySaved + " had been saved (seed " + seed + ")");
      if (!started || !child.process.isAlive()) {
        fail("the run ended before it was killed " + KILLS + " times (" + kills + "); seed " + seed
            + "\n" + String.join("\n", child.all));
      }
      // Three kinds of moment, in turn: anywhere; the moment a checkpoint was reported saved
      // (its journal record must already be durable); during a checkpoint's write.
      int kind = kills % 3;
      boolean atWrite = kind == 2;
      Thread.sleep(random.nextInt(1200));
      if (kind == 1) {
        child.lines.clear();
        child.await("checkpoint saved", 20);
      } else if (atWrite) {
        // Kill the moment a checkpoint's temporary file shows up: mid-write or mid-fsync.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && !hasTemporary(checkpoints) && child.process.isAlive()) {
          Thread.onSpinWait();
        }
      }
      if (!child.process.isAlive()) {
        fail("the run ended before it was killed " + KILLS + " times (" + kills + "); seed " + seed);
      }
      child.kill();
      kills++;
      if (atWrite && hasTemporary(checkpoints)) {
        duringWrite++;
      }
      previouslySaved = child.lastSavedStep();
      log.add("kill " + kills + ": resumed at " + resumedAt + ", last saved " + previouslySaved
          + (kind == 1 ? " (right after a save)" : atWrite ? " (at a write)" : ""));
    }
    Child last = new Child(dataDir, "killed", export);
    assertEquals(0, last.finish(), () -> String.join("\n", last.all));
    assertTrue(
        last.all.stream().anyMatch(l -> l.startsWith("resuming run")),
        () -> String.join("\n", last.all));
    System.out.println(String.join("\n", log));
    assertTrue(duringWrite >= 1, "no kill landed during a checkpoint write: " + log);
    assertFalse(hasTemporary(checkpoints), "the last run removed the temporary files");

    Map<String, HostTensor> expected = SafeTensors.read(reference);
    Map<String, HostTensor> actual = SafeTensors.read(export);
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      assertEquals(expected.get(name), actual.get(name), name + " differs (seed " + seed + ")");
    }
  }

  private static boolean hasTemporary(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp"));
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }
}
