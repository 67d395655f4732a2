package io.zbmd.testkit.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The multi-JVM harness with real child processes, signals included. */
class ChildJvmsTest {
  private static final Duration START = Duration.ofSeconds(30);

  @Test
  void startsPausesResumesKillsAndCleansUp(@TempDir Path dir) throws Exception {
    ChildJvm survivor;
    try (ChildJvms jvms = ChildJvms.create(dir)) {
      ChildJvm a = jvms.start("a", TickerMain.class, "hello", "world");
      survivor = jvms.start("b", TickerMain.class);
      String ready = a.awaitOutput(l -> l.startsWith("ready"), START);
      assertEquals("ready " + a.pid(), ready);
      assertTrue(a.stderr().contains("starting with hello,world"), a.tails());
      assertTrue(Files.exists(dir.resolve("a.out")));

      a.pause();
      assertEquals('T', processState(a.pid()), "SIGSTOP leaves the process stopped");
      a.resume();
      assertNotEquals('T', processState(a.pid()));

      a.kill();
      assertFalse(a.isAlive());
      assertEquals(137, a.process().exitValue(), "SIGKILL: 128 + 9");
      survivor.awaitOutput(l -> l.startsWith("tick"), START);
      assertTrue(survivor.isAlive());
    }
    assertFalse(survivor.isAlive(), "close() kills what is still running");
  }

  @Test
  void awaitingOutputOfAProcessThatExitedFailsWithItsOutput(@TempDir Path dir) throws Exception {
    try (ChildJvms jvms = ChildJvms.create(dir)) {
      ChildJvm c = jvms.start("c", TickerMain.class, "exit");
      TimeoutException e = assertThrows(TimeoutException.class,
          () -> c.awaitOutput(l -> l.startsWith("never"), START));
      assertTrue(e.getMessage().contains("exited with 3"), e.getMessage());
      assertTrue(e.getMessage().contains("ready"), "the message carries the output tail");
      assertEquals(3, c.awaitExit(START));
      assertThrows(IllegalArgumentException.class, () -> jvms.start("bad name", TickerMain.class));
    }
  }

  @Test
  void freePortsAreDistinct() {
    List<Integer> ports = FreePorts.pick(5);
    assertEquals(5, new HashSet<>(ports).size());
    assertTrue(ports.stream().allMatch(p -> p > 0 && p < 65536));
  }

  /** The state letter of /proc/PID/stat: R, S, T (stopped), ... */
  private static char processState(long pid) throws Exception {
    for (int i = 0; i < 100; i++) {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      if (state == 'T' || i > 20) {
        return state;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("unreachable");
  }
}
