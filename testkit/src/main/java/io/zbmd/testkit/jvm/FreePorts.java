package io.zbmd.testkit.jvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * TCP ports free on loopback now, for child processes to bind. They are picked by binding port 0
 * and released before returning, so another process could take one in between; the ports of one
 * call are distinct.
 *
 * <pre>{@code
 * List<Integer> ports = FreePorts.pick(3);
 * }</pre>
 */
public final class FreePorts {
  private FreePorts() {}

  /** {@code count} distinct ports free on 127.0.0.1. */
  public static List<Integer> pick(int count) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket();
        held.add(s);
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ports.add(s.getLocalPort());
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot pick free ports on loopback: " + e.getMessage(), e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // Only probing.
        }
      }
    }
  }

  /** One free port on 127.0.0.1. */
  public static int pick() {
    return pick(1).get(0);
  }
}
