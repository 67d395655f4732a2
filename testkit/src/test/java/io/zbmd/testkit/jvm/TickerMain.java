package io.zbmd.testkit.jvm;

/** A child JVM for the harness's tests: says it is ready, then prints a tick every 50 ms. */
public final class TickerMain {
  private TickerMain() {}

  public static void main(String[] args) throws Exception {
    System.err.println("starting with " + String.join(",", args));
    System.out.println("ready " + ProcessHandle.current().pid());
    if (args.length > 0 && args[0].equals("exit")) {
      System.exit(3);
    }
    for (long i = 0; ; i++) {
      System.out.println("tick " + i);
      Thread.sleep(50);
    }
  }
}
