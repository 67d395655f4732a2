package io.zbmd.samples.hello;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HelloSampleTest {
  @Test
  void theSampleShowsAnAskACrashAndARestartWithFreshState() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    HelloSample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    List<String> expectedInOrder = List.of(
        "echo replied: 'hello, zbmd'",
        "[counter] started",
        "Incrementing the counter: 1, 2",
        "Crashing the counter",
        "[counter] stopped (count was 2)",
        "[counter] started",
        "restarted the counter",
        "incrementing it gives 1 (fresh state)",
        "[counter] stopped (count was 1)",
        "Actor system terminated");
    int from = 0;
    for (String line : expectedInOrder) {
      int at = out.indexOf(line, from);
      assertTrue(at >= 0, "missing, or out of order: '" + line + "' in\n" + out);
      from = at + line.length();
    }
  }
}
