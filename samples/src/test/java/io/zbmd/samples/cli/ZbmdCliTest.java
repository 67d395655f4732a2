package io.zbmd.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ZbmdCliTest {
  @Test
  void everySubcommandHasHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(ZbmdCli.commandLine(), new ArrayList<>(), paths);
    assertTrue(!paths.isEmpty(), "expected subcommands, got " + paths);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      StringWriter out = new StringWriter();
      CommandLine cli = ZbmdCli.commandLine();
      cli.setOut(new PrintWriter(out));
      int rc = cli.execute(args.toArray(String[]::new));
      assertEquals(0, rc, "zbmd " + String.join(" ", args));
      assertTrue(out.toString().contains("Usage: zbmd"), "no usage for " + args + ":\n" + out);
    }
  }

  @Test
  void anUnknownSubcommandIsAnErrorNamingIt() {
    StringWriter err = new StringWriter();
    CommandLine cli = ZbmdCli.commandLine();
    cli.setErr(new PrintWriter(err));
    assertNotEquals(0, cli.execute("helo"));
    assertTrue(err.toString().contains("helo"), err.toString());
  }

  @Test
  void devicesListsTheCpuAsAvailableAndTheOthersWithReasons() throws Exception {
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertEquals(0, ZbmdCli.commandLine().execute("devices", "--json"));
    } finally {
      System.setOut(stdout);
    }
    var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(captured.toString());
    boolean cpuSeen = false;
    for (var backend : root.get("backends")) {
      // testkit (on the jar's class path for zbmd bench) brings the test-only faulty backend.
      assertNotEquals("faulty", backend.get("name").asText(), "a test-only backend is listed");
      if (backend.get("name").asText().equals("cpu")) {
        cpuSeen = true;
        assertTrue(backend.get("available").asBoolean());
        assertEquals("cpu:0", backend.get("devices").get(0).get("id").asText());
      } else {
        assertTrue(!backend.get("available").asBoolean()
            && !backend.get("reason").asText().isBlank(), backend.toString());
      }
    }
    assertTrue(cpuSeen, root.toString());
  }

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> out) {
    for (var e : cmd.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      List<String> p = new ArrayList<>(path);
      p.add(e.getKey());
      out.add(p);
      collect(e.getValue(), p, out);
    }
  }
}
