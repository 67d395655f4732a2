package io.zbmd.benchmarks.allreduce;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The baseline: plain loopback TCP socket pairs moving bytes from a direct buffer to a direct
 * buffer, nothing else (no reduction, no acknowledgements), in this JVM.
 */
final class RawTcp {
  private RawTcp() {}

  /**
   * Moves {@code bytes} over each of {@code links} socket pairs at once, in writes of {@code
   * chunk} bytes, and returns the wall time in nanoseconds.
   */
  static long move(long bytes, int links, int chunk) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2 * links);
    List<SocketChannel> open = new ArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      List<SocketChannel[]> pairs = new ArrayList<>();
      for (int i = 0; i < links; i++) {
        SocketChannel out = SocketChannel.open(server.getLocalAddress());
        SocketChannel in = server.accept();
        out.setOption(StandardSocketOptions.TCP_NODELAY, true);
        open.add(out);
        open.add(in);
        pairs.add(new SocketChannel[] {out, in});
      }
      long start = System.nanoTime();
      List<Future<?>> work = new ArrayList<>();
      for (SocketChannel[] p : pairs) {
        work.add(threads.submit(() -> write(p[0], bytes, chunk)));
        work.add(threads.submit(() -> read(p[1], bytes, chunk)));
      }
      for (Future<?> f : work) {
        f.get();
      }
      return System.nanoTime() - start;
    } finally {
      for (SocketChannel c : open) {
        c.close();
      }
      threads.shutdownNow();
    }
  }

  private static Void write(SocketChannel ch, long bytes, int chunk) throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect(chunk);
    for (long left = bytes; left > 0; ) {
      b.clear().limit((int) Math.min(chunk, left));
      while (b.hasRemaining()) {
        left -= ch.write(b);
      }
    }
    return null;
  }

  private static Void read(SocketChannel ch, long bytes, int chunk) throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect(chunk);
    for (long left = bytes; left > 0; ) {
      b.clear().limit((int) Math.min(chunk, left));
      int n = ch.read(b);
      if (n < 0) {
        throw new IOException("raw TCP baseline: the writer closed early");
      }
      left -= n;
    }
    return null;
  }
}
