package io.zbmd.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A bad option or file: at most a few lines, the first {@code zbmd: error: ...} naming it, no
 * stack trace, exit 2, and no run under {@code --data-dir}.
 */
class CliErrorsTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "train --data nosuch-dir           | --data nosuch-dir",
        "train --model nosuch              | --model",
        "train --batch 0                   | --batch",
        "train --epochs -1                 | --epochs",
        "train --lr -1                     | --lr",
        "train --backend tpu               | --backend",
        "train --batch many                | --batch",
        "eval --weights nosuch.safetensors | nosuch.safetensors",
        "eval --weights TEXT.safetensors   | TEXT.safetensors",
        "eval --weights TEXT.pt            | TEXT.pt",
        "eval --weights TEXT.pt --model nosuch | --model",
        "eval --weights TEXT.pt --backend tpu  | --backend",
      })
  void aBadOptionIsOneLineNamingItAndExitTwo(String command, String named) throws Exception {
    Files.writeString(tmp.resolve("TEXT.safetensors"), "not weights\n");
    Files.writeString(tmp.resolve("TEXT.pt"), "not weights either\n");
    Path dataDir = tmp.resolve("data");
    List<String> args = new ArrayList<>();
    for (String a : command.trim().split(" +")) {
      args.add(a.startsWith("TEXT.") ? tmp.resolve(a).toString() : a);
    }
    if (args.get(0).equals("train")) {
      args.addAll(List.of("--data-dir", dataDir.toString()));
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = ZbmdCli.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));

    int rc = cli.execute(args.toArray(String[]::new));

    String printed = err.toString() + out;
    assertEquals(2, rc, printed);
    assertTrue(err.toString().startsWith("zbmd: error: "), printed);
    assertTrue(err.toString().lines().findFirst().orElse("").contains(named), printed);
    assertTrue(printed.lines().count() <= 3, printed);
    assertFalse(printed.contains("\tat ") || printed.contains("Exception"), printed);
    assertFalse(Files.exists(dataDir), "a run was journaled under " + dataDir);
  }
}
