package io.zbmd.cluster;

import io.zbmd.cluster.internal.RingPlan;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ring all-reduce over TCP, as gloo does it: reduce-scatter then all-gather, each rank sending
 * 2(N-1)/N of the bytes to its successor and receiving as much from its predecessor, in segments
 * (about 1 MiB) with a bounded number in flight per link (each segment is acknowledged; the sender
 * waits when {@code segments-in-flight} are unacknowledged, and TCP's window does the rest).
 * Sending and receiving overlap: a segment goes on as soon as it has been reduced.
 *
 * <p>Each reduced chunk is summed exactly once, by its owner, and then broadcast in the
 * all-gather, so every rank ends with the same bits. A call has a deadline; a broken connection (a
 * killed peer resets its sockets) or the deadline aborts it with {@link PeerLostException} or
 * {@link CollectiveTimeoutException}, and the collective stays broken.
 *
 * <pre>{@code
 * RingCollective.Endpoint endpoint = RingCollective.bind(new InetSocketAddress("127.0.0.1", 0));
 * // ... exchange endpoint.address() through the control plane, in rank order ...
 * try (Collective ring = endpoint.join(rank, addresses, settings)) {
 *   ring.allReduceSum(gradients, 0, gradients.length);
 * }
 * }</pre>
 */
public final class RingCollective implements Collective {
  private static final int MAGIC = 0x7a626d64; // "zbmd"

  /**
   * A rank's bound listening socket. Bind first so that the address (with its chosen port) can
   * be told to the other ranks, then {@link #join} once all addresses are known.
   */
  public static final class Endpoint implements AutoCloseable {
    private final ServerSocketChannel server;

    private Endpoint(ServerSocketChannel server) {
      this.server = server;
    }

    /** The address others connect to. */
    public InetSocketAddress address() {
      try {
        return (InetSocketAddress) server.getLocalAddress();
      } catch (IOException e) {
        throw new CollectiveException("endpoint is closed", e);
      }
    }

    /**
     * Forms the ring: connects to the successor {@code ring[(rank + 1) % n]} (retrying while it
     * starts) and accepts the predecessor. Every rank calls this with the same list. Closes this
     * endpoint; the returned collective owns the connections.
     *
     * @throws CollectiveException when the ring did not form within the connect timeout
     */
    public RingCollective join(int rank, List<InetSocketAddress> ring, DataPlaneSettings settings) {
      int n = ring.size();
      if (rank < 0 || rank >= n) {
        throw new IllegalArgumentException("rank " + rank + " is outside a ring of " + n);
      }
      try {
        if (n == 1) {
          return new RingCollective(rank, 1, settings, null, null, null, null);
        }
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        int next = (rank + 1) % n;
        int prev = (rank + n - 1) % n;
        SocketChannel out = connect(ring.get(next), deadline, rank, next);
        try {
          ByteBuffer hello = ByteBuffer.allocate(12).putInt(MAGIC).putInt(rank).putInt(n).flip();
          while (hello.hasRemaining()) {
            out.write(hello);
          }
          SocketChannel in = acceptPredecessor(prev, n, deadline, rank);
          return new RingCollective(rank, n, settings, out, in, ring.get(next), ring.get(prev));
        } catch (IOException | RuntimeException e) {
          out.close();
          throw e;
        }
      } catch (IOException e) {
        throw new CollectiveException("rank " + rank + " could not form a ring of " + n + " "
            + ring + ": " + e, e);
      } finally {
        close();
      }
    }

    private static SocketChannel connect(InetSocketAddress to, long deadline, int rank, int next)
        throws IOException {
      while (true) {
        SocketChannel ch = SocketChannel.open();
        try {
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          ch.connect(to);
          return ch;
        } catch (ConnectException e) {
          ch.close();
          if (System.nanoTime() > deadline) {
            throw new IOException("rank " + rank + " could not connect to rank " + next + " at "
                + to + " within the connect timeout: " + e.getMessage(), e);
          }
          sleepQuietly(50);
        } catch (IOException | RuntimeException e) {
          ch.close();
          throw e;
        }
      }
    }

    private SocketChannel acceptPredecessor(int prev, int n, long deadline, int rank)
        throws IOException {
      while (true) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) {
          throw new IOException("rank " + rank + " got no connection from rank " + prev
              + " within the connect timeout");
        }
        server.socket().setSoTimeout((int) Math.min(leftMs, Integer.MAX_VALUE));
        Socket s;
        try {
          s = server.socket().accept();
        } catch (SocketTimeoutException e) {
          continue;
        }
        SocketChannel ch = s.getChannel();
        try {
          s.setSoTimeout((int) Math.max(1, Math.min(leftMs, 5_000)));
          byte[] hello = new byte[12];
          new DataInputStream(s.getInputStream()).readFully(hello);
          ByteBuffer b = ByteBuffer.wrap(hello);
          int magic = b.getInt();
          int from = b.getInt();
          int size = b.getInt();
          if (magic == MAGIC && from == prev && size == n) {
            s.setSoTimeout(0);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return ch;
          }
          // A stale member of an older ring, or a stranger: not our predecessor.
          ch.close();
        } catch (IOException e) {
          ch.close();
        }
      }
    }

    @Override
    public void close() {
      try {
        server.close();
      } catch (IOException ignored) {
        // Closing a listening socket has nothing to lose.
      }
    }
  }

  /** Binds a listening socket for a rank ({@code port} 0 picks a free one). */
  public static Endpoint bind(InetSocketAddress address) {
    try {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(address);
      return new Endpoint(server);
    } catch (IOException e) {
      throw new CollectiveException("cannot listen on " + address + ": " + e.getMessage(), e);
    }
  }

  /** The first failure of a call: who, and why. The peer rank is -1 for local causes. */
  private record Failure(int peerRank, SocketAddress peer, String link, int step, Throwable cause,
      Kind kind) {}

  private enum Kind { PEER, TIMEOUT, CLOSED }

  private final int rank;
  private final int size;
  private final DataPlaneSettings settings;
  private final SocketChannel toNext; // segments out, acknowledgements in
  private final SocketChannel fromPrev; // segments in, acknowledgements out
  private final SocketAddress nextAddress;
  private final SocketAddress prevAddress;
  private final ExecutorService sender;
  private final ScheduledExecutorService watchdog;
  private final ByteBuffer sendBuffer;
  private final ByteBuffer receiveBuffer;
  private final ByteBuffer ackOut = ByteBuffer.allocateDirect(4);
  private final ByteBuffer ackIn = ByteBuffer.allocateDirect(4);
  private final AtomicReference<Failure> failure = new AtomicReference<>();
  private final Object progress = new Object();
  private int received; // guarded by progress: segments received in this call
  private volatile boolean aborted;

  private RingCollective(int rank, int size, DataPlaneSettings settings, SocketChannel toNext,
      SocketChannel fromPrev, SocketAddress nextAddress, SocketAddress prevAddress) {
    this.rank = rank;
    this.size = size;
    this.settings = settings;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.nextAddress = nextAddress;
    this.prevAddress = prevAddress;
    boolean ring = size > 1;
    this.sender = ring ? Executors.newSingleThreadExecutor(r -> daemon(r, "send")) : null;
    this.watchdog = ring ? Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "deadline"))
        : null;
    int bytes = ring ? settings.segmentBytes() : 0;
    this.sendBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    this.receiveBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private Thread daemon(Runnable r, String role) {
    Thread t = new Thread(r, "zbmd-ring-" + role + "-rank" + rank);
    t.setDaemon(true);
    return t;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return size;
  }

  /** The settings this ring was formed with. */
  public DataPlaneSettings settings() {
    return settings;
  }

  @Override
  public synchronized void allReduceSum(float[] data, int offset, int length) {
    if (offset < 0 || length < 0 || offset > data.length - length) {
      throw new IllegalArgumentException("range [" + offset + ", " + offset + "+" + length
          + ") is outside an array of " + data.length);
    }
    Failure earlier = failure.get();
    if (earlier != null) {
      throw new CollectiveException("rank " + rank + "'s ring is unusable since an earlier "
          + "failure (" + describe(earlier) + "); form a new one", earlier.cause());
    }
    if (size == 1 || length == 0) {
      return;
    }
    RingPlan plan = new RingPlan(rank, size, offset, length, settings.segmentBytes() / 4);
    synchronized (progress) {
      received = 0;
    }
    ScheduledFuture<?> deadline = watchdog.schedule(
        () -> fail(new Failure(-1, null, "", -1, null, Kind.TIMEOUT)),
        settings.stepDeadline().toNanos(), TimeUnit.NANOSECONDS);
    Future<?> sending = sender.submit(() -> {
      send(data, plan);
      return null;
    });
    try {
      receive(data, plan);
    } finally {
      try {
        sending.get();
      } catch (ExecutionException e) {
        // The send side recorded its failure (or lost to an earlier one) before it returned.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(new Failure(-1, null, "", -1, e, Kind.CLOSED));
      }
      deadline.cancel(false);
    }
    Failure f = failure.get();
    if (f != null) {
      throw toException(f, length);
    }
  }

  private void send(float[] data, RingPlan plan) {
    int inFlight = settings.segmentsInFlight();
    int k = 0;
    int step = 0;
    try {
      for (step = 0; step < plan.steps(); step++) {
        int chunk = plan.sendChunk(step);
        for (int j = 0; j < plan.segments(chunk); j++, k++) {
          if (step > 0) {
            awaitReceived(k - plan.firstStepSegments() + 1);
          }
          if (k >= inFlight) {
            readAck(k - inFlight);
          }
          int from = plan.segmentStart(chunk, j);
          int len = plan.segmentLength(chunk, j);
          sendBuffer.clear();
          sendBuffer.asFloatBuffer().put(data, from, len);
          sendBuffer.limit(len * 4);
          while (sendBuffer.hasRemaining()) {
            toNext.write(sendBuffer);
          }
        }
      }
      for (int j = Math.max(0, k - inFlight); j < k; j++) {
        readAck(j);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      fail(new Failure((rank + 1) % size, nextAddress, "successor", step, e, Kind.PEER));
      throw new CollectiveException("send side aborted", e);
    }
  }

  private void receive(float[] data, RingPlan plan) {
    int i = 0;
    int step = 0;
    try {
      for (step = 0; step < plan.steps(); step++) {
        int chunk = plan.receiveChunk(step);
        boolean reduce = plan.reduces(step);
        for (int j = 0; j < plan.segments(chunk); j++, i++) {
          int from = plan.segmentStart(chunk, j);
          int len = plan.segmentLength(chunk, j);
          receiveBuffer.clear().limit(len * 4);
          readFully(fromPrev, receiveBuffer);
          receiveBuffer.flip();
          if (reduce) {
            // One pass straight from the socket's buffer: no intermediate copy.
            FloatBuffer in = receiveBuffer.asFloatBuffer();
            for (int x = 0; x < len; x++) {
              data[from + x] += in.get(x);
            }
          } else {
            receiveBuffer.asFloatBuffer().get(data, from, len);
          }
          ackOut.clear().putInt(i).flip();
          while (ackOut.hasRemaining()) {
            fromPrev.write(ackOut);
          }
          synchronized (progress) {
            received = i + 1;
            progress.notifyAll();
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(new Failure((rank + size - 1) % size, prevAddress, "predecessor", step, e, Kind.PEER));
    }
  }

  private void awaitReceived(int count) throws InterruptedException, IOException {
    synchronized (progress) {
      while (received < count) {
        if (aborted) {
          throw new IOException("aborted while waiting for the predecessor's segment");
        }
        progress.wait(100);
      }
    }
  }

  private void readAck(int expected) throws IOException {
    ackIn.clear();
    readFully(toNext, ackIn);
    int got = ackIn.flip().getInt();
    if (got != expected) {
      throw new IOException("ring out of step: acknowledgement " + got + " where " + expected
          + " was due");
    }
  }

  private static void readFully(SocketChannel ch, ByteBuffer into) throws IOException {
    while (into.hasRemaining()) {
      if (ch.read(into) < 0) {
        throw new EOFException("the peer closed the connection");
      }
    }
  }

  /** Records the first failure and closes both links, which unblocks the other side's thread. */
  private void fail(Failure f) {
    if (!failure.compareAndSet(null, f)) {
      return;
    }
    aborted = true;
    synchronized (progress) {
      progress.notifyAll();
    }
    closeQuietly(toNext);
    closeQuietly(fromPrev);
  }

  private CollectiveException toException(Failure f, int length) {
    String what = "all-reduce of " + length + " floats on rank " + rank + " of " + size;
    return switch (f.kind()) {
      case TIMEOUT -> new CollectiveTimeoutException(what + " did not finish within the step "
          + "deadline of " + settings.stepDeadline() + " (a peer is hung or did not join the "
          + "call); the ring is closed", settings.stepDeadline());
      case CLOSED -> new CollectiveException(what + " aborted: the collective was closed", f.cause());
      case PEER -> new PeerLostException(what + " aborted: " + describe(f), f.peerRank(),
          f.peer(), f.cause());
    };
  }

  private static String describe(Failure f) {
    return switch (f.kind()) {
      case TIMEOUT -> "step deadline passed";
      case CLOSED -> "closed";
      case PEER -> "the connection to rank " + f.peerRank() + " at " + f.peer() + " (the "
          + f.link() + ") broke at step " + (f.step() + 1) + ": " + f.cause();
    };
  }

  @Override
  public void close() {
    fail(new Failure(-1, null, "", -1, null, Kind.CLOSED));
    if (sender != null) {
      sender.shutdownNow();
      watchdog.shutdownNow();
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.close();
    } catch (IOException ignored) {
      // Already broken: nothing more to release.
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
