package io.zbmd.samples.cli;

import io.zbmd.samples.hello.HelloSample;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code zbmd hello}: the hello-actor sample. */
@Command(
    name = "hello",
    mixinStandardHelpOptions = true,
    description = {
      "The hello-actor sample: an echo actor and an ask, then a supervised child that crashes",
      "and is restarted by an OTP-style supervisor, printed step by step."
    })
final class HelloCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    HelloSample.run(System.out);
    return 0;
  }
}
