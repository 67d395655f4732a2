package io.zbmd.gpu;

import com.typesafe.config.Config;
import io.zbmd.gpu.cpu.CpuBackendProvider;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Backends for this module's tests, registered in src/test/resources/META-INF/services. None is
 * loaded unless a test names it in zbmd.gpu.backends: providers not listed there are ignored.
 */
final class TestBackends {
  private TestBackends() {}

  /**
   * Created backends by their config's {@code tag}, so that a test can reach the one its system
   * loaded.
   */
  static final Map<String, RecordingBackend> RECORDING = new ConcurrentHashMap<>();

  static final Map<String, FakeBackend> FAKE = new ConcurrentHashMap<>();

  /**
   * {@code recording}: the real CPU backend (device cpu:0), recording thread bindings and close.
   */
  public static final class Recording implements BackendProvider {
    @Override
    public String name() {
      return "recording";
    }

    @Override
    public int rank() {
      return -1;
    }

    @Override
    public Optional<Throwable> unavailabilityCause() {
      return new CpuBackendProvider().unavailabilityCause();
    }

    @Override
    public Backend create(Config config) {
      RecordingBackend b = new RecordingBackend(new CpuBackendProvider().create(config));
      RECORDING.put(config.hasPath("tag") ? config.getString("tag") : "", b);
      return b;
    }
  }

  static final class RecordingBackend implements Backend {
    final Backend cpu;

    /** The threads bindThread ran on, one entry per call. */
    final List<Thread> boundThreads = new CopyOnWriteArrayList<>();

    /** What happened, in order: tests add their own events (an actor's PostStop) to it. */
    final List<String> events = new CopyOnWriteArrayList<>();

    RecordingBackend(Backend cpu) {
      this.cpu = cpu;
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public List<Device> devices() {
      return cpu.devices();
    }

    @Override
    public DeviceBuffer allocate(DeviceId device, DType dtype, long elements, String owner) {
      return cpu.allocate(device, dtype, elements, owner);
    }

    @Override
    public DeviceStream stream(DeviceId device) {
      return cpu.stream(device);
    }

    @Override
    public void bindThread(DeviceId device) {
      boundThreads.add(Thread.currentThread());
      events.add("bind " + device + " on " + Thread.currentThread().getName());
    }

    @Override
    public void close() {
      events.add("close");
      cpu.close();
    }
  }

  /**
   * {@code fake}: one device, fake:0, 64 MiB of heap-backed "device" memory; work runs with no ops.
   */
  public static final class Fake implements BackendProvider {
    @Override
    public String name() {
      return "fake";
    }

    @Override
    public int rank() {
      return 1;
    }

    @Override
    public Optional<Throwable> unavailabilityCause() {
      return Optional.empty();
    }

    @Override
    public Backend create(Config config) {
      FakeBackend b = new FakeBackend();
      FAKE.put(config.hasPath("tag") ? config.getString("tag") : "", b);
      return b;
    }
  }

  static final class FakeBackend implements Backend {
    static final DeviceId FAKE0 = new DeviceId("fake", 0);
    final Device device = new Device(FAKE0, DeviceKind.OTHER, "fake device", 64L << 20);
    final ExecutorService worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "fake-stream");
              t.setDaemon(true);
              return t;
            });
    volatile boolean closed;

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public List<Device> devices() {
      return List.of(device);
    }

    @Override
    public DeviceBuffer allocate(DeviceId id, DType dtype, long elements, String owner) {
      return new HeapBuffer(id, dtype, elements, owner);
    }

    @Override
    public DeviceStream stream(DeviceId id) {
      return new DeviceStream() {
        @Override
        public Device device() {
          return device;
        }

        @Override
        public <T> CompletionStage<T> submit(Work<T> work) {
          return CompletableFuture.supplyAsync(
              () -> {
                try {
                  return work.run(null);
                } catch (RuntimeException e) {
                  throw e;
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              worker);
        }
      };
    }

    @Override
    public void close() {
      closed = true;
      worker.shutdown();
    }
  }

  /** A "device" buffer on the Java heap. */
  static final class HeapBuffer extends DeviceBuffer {
    private byte[] storage;

    HeapBuffer(DeviceId device, DType dtype, long elements, String owner) {
      super(device, dtype, elements, owner);
      storage = new byte[Math.toIntExact(elements * dtype.byteSize())];
    }

    @Override
    protected void freeStorage() {
      storage = null;
    }
  }

  /** {@code broken}: says it is available, then fails to start. */
  public static final class Broken implements BackendProvider {
    @Override
    public String name() {
      return "broken";
    }

    @Override
    public int rank() {
      return 5;
    }

    @Override
    public Optional<Throwable> unavailabilityCause() {
      return Optional.empty();
    }

    @Override
    public Backend create(Config config) {
      throw new IllegalStateException("driver exploded during init");
    }
  }

  /** {@code absent}: its native library is missing, as a CUDA provider without CUDA would say. */
  public static final class Absent implements BackendProvider {
    @Override
    public String name() {
      return "absent";
    }

    @Override
    public int rank() {
      return 7;
    }

    @Override
    public Optional<Throwable> unavailabilityCause() {
      return Optional.of(new UnsatisfiedLinkError("libabsent.so: cannot open shared object file"));
    }

    @Override
    public Backend create(Config config) {
      throw new AssertionError("create() of an unavailable provider must not be called");
    }
  }
}
