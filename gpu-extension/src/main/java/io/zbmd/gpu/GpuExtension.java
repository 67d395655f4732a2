package io.zbmd.gpu;

import io.zbmd.gpu.internal.BackendDiscovery;
import io.zbmd.gpu.internal.BufferLeakDetector;
import io.zbmd.gpu.internal.DeviceDispatchers;
import io.zbmd.gpu.internal.DeviceEntry;
import io.zbmd.gpu.internal.DeviceMemory;
import io.zbmd.gpu.internal.OwnerWatch;
import io.zbmd.runtime.ZbmdMailboxes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes GPUs first-class citizens of an actor system: finds the backends ({@code
 * zbmd.gpu.backends}, through {@link java.util.ServiceLoader}), lists their devices, allocates
 * device memory with per-device and per-owner accounting and limits, tracks each device's health,
 * runs device actors on a dispatcher pinned to one thread per device (with the bounded device
 * mailbox), detects leaked buffers, and closes the backends when the system terminates. One
 * instance per actor system; settings are read once into {@link GpuSettings}.
 *
 * <pre>{@code
 * GpuExtension gpu = GpuExtension.get(ctx.getSystem());
 * DeviceId device = gpu.defaultDevice().id();
 * ActorRef<Worker.Command> worker = gpu.spawn(ctx, Worker.create(device), "worker", device);
 * // inside Worker (running on the device's thread):
 * OwnedBuffers owned = OwnedBuffers.create(gpu, ctx);
 * DeviceBuffer a = owned.allocate(device, DType.FLOAT32, 1024 * 1024);
 * ctx.pipeToSelf(
 *     gpu.stream(device).submit(ops -> {
 *       ops.fill(a, 0, a.elements(), 1f);
 *       return null;
 *     }),
 *     (ok, err) -> err == null ? Filled.INSTANCE : new Failed(err));
 * // and in PostStop: owned.close();
 * }</pre>
 */
public final class GpuExtension implements Extension {
  private static final Logger log = LoggerFactory.getLogger(GpuExtension.class);

  /** The extension's id, as Pekko extensions have. */
  public static final class Id extends ExtensionId<GpuExtension> {
    private static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public GpuExtension createExtension(ActorSystem<?> system) {
      return new GpuExtension(system);
    }

    /** The extension of {@code system}, started on first use. */
    public static GpuExtension get(ActorSystem<?> system) {
      return INSTANCE.apply(system);
    }
  }

  private final GpuSettings settings;
  private final List<BackendStatus> statuses;
  private final List<Backend> backends;
  private final Map<DeviceId, DeviceEntry> entries;
  private final List<Device> devices;
  private final BufferLeakDetector leakDetector;
  private final ActorRef<OwnerWatch.Command> ownerWatch;
  private final Set<String> watchedOwners = ConcurrentHashMap.newKeySet();
  private final Cancellable leakChecks;
  private final Cancellable memoryMetrics;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** The extension of {@code system}, started on first use. */
  public static GpuExtension get(ActorSystem<?> system) {
    return Id.get(system);
  }

  private GpuExtension(ActorSystem<?> system) {
    this.settings = GpuSettings.fromConfig(system.settings().config());
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    BackendDiscovery.Result found =
        BackendDiscovery.discover(
            settings.backends(), system.settings().config(), system.dynamicAccess().classLoader());
    this.statuses = found.statuses();
    this.backends = List.copyOf(found.loaded().values());
    try {
      Map<DeviceId, DeviceEntry> byId = new LinkedHashMap<>();
      for (BackendStatus status : statuses) {
        if (!status.available()) {
          continue;
        }
        Backend backend = found.loaded().get(status.name());
        for (Device d : status.devices()) {
          if (byId.containsKey(d.id())) {
            log.warn(
                "device {} of backend {} has the id of a device of an earlier backend; skipping it",
                d.id(),
                status.name());
            continue;
          }
          long limit = settings.memoryLimit(d.id()).orElse(-1);
          byId.put(
              d.id(), new DeviceEntry(d, backend, limit, DeviceDispatchers.dispatcherId(d.id())));
        }
      }
      this.entries = java.util.Collections.unmodifiableMap(byId);
      this.devices = byId.values().stream().map(DeviceEntry::device).toList();
      for (DeviceId limited : settings.memoryLimits().keySet()) {
        if (!entries.containsKey(limited)) {
          log.debug(
              "{}.devices.{} configures a device this machine does not have",
              GpuSettings.PATH,
              limited.key());
        }
      }
      for (DeviceEntry e : entries.values()) {
        DeviceDispatchers.register(classic, settings, e);
      }
      this.leakDetector =
          new BufferLeakDetector(
              settings.leakDetection(),
              report -> {
                DeviceEntry e = entries.get(report.device());
                if (e != null) {
                  e.memory().free(report.bufferId());
                }
              });
      this.ownerWatch =
          system.systemActorOf(
              OwnerWatch.create(this::ownerStopped), "zbmd-gpu-owner-watch", Props.empty());
      this.leakChecks =
          settings.leakDetection() == LeakDetector.Level.OFF
              ? null
              : system
                  .scheduler()
                  .scheduleWithFixedDelay(
                      settings.leakCheckInterval(),
                      settings.leakCheckInterval(),
                      leakDetector::poll,
                      system.executionContext());
      this.memoryMetrics = scheduleMemoryMetrics(system);
      // Runs once every actor has stopped (and so has released what it owned in PostStop), and
      // before getWhenTerminated() completes, so that whoever awaits termination finds them closed.
      classic.registerOnTermination(this::close);
    } catch (RuntimeException | Error e) {
      backends.forEach(BackendDiscovery::closeQuietly);
      throw e;
    }
    log.info("zbmd GPU extension started: devices {}; backends {}", devices, statuses);
  }

  /** Device memory gauges, sampled at the metrics' tick interval; none with metrics off. */
  private Cancellable scheduleMemoryMetrics(ActorSystem<?> system) {
    io.zbmd.runtime.metrics.ZbmdMetrics metrics = io.zbmd.runtime.metrics.ZbmdMetrics.get(system);
    if (!metrics.isEnabled() || entries.isEmpty()) {
      return null;
    }
    io.zbmd.gpu.internal.DeviceMemoryMetrics sampler =
        new io.zbmd.gpu.internal.DeviceMemoryMetrics(
            metrics, List.copyOf(entries.keySet()), this::memory);
    sampler.run();
    java.time.Duration every = metrics.settings().tickInterval();
    return system.scheduler().scheduleWithFixedDelay(every, every, sampler, system.executionContext());
  }

  /** The settings read from {@code zbmd.gpu} at start. */
  public GpuSettings settings() {
    return settings;
  }

  /**
   * Every backend discovery knows of: first those named in {@code zbmd.gpu.backends}, in that order
   * (available or with the reason they are not), then providers found on the class path but not
   * named there (unavailable: not listed).
   */
  public List<BackendStatus> backends() {
    return statuses;
  }

  /** The devices of the loaded backends, in configured backend order. */
  public List<Device> devices() {
    return devices;
  }

  /**
   * The first healthy device, in configured order.
   *
   * @throws IllegalStateException if there is none, naming the lost devices and unavailable
   *     backends
   */
  public Device defaultDevice() {
    for (DeviceEntry e : entries.values()) {
      if (e.health() == DeviceHealth.HEALTHY) {
        return e.device();
      }
    }
    List<DeviceId> lost = entries.keySet().stream().toList();
    throw new IllegalStateException(
        lost.isEmpty()
            ? "no device: no backend loaded; " + statuses
            : "no healthy device: "
                + lost
                + (lost.size() == 1 ? " is" : " are")
                + " lost; backends "
                + statuses);
  }

  /**
   * The device {@code id}.
   *
   * @throws IllegalArgumentException if there is no such device, listing the known ids
   */
  public Device device(DeviceId id) {
    return entry(id).device();
  }

  /** The health of {@code id}. */
  public DeviceHealth health(DeviceId id) {
    return entry(id).health();
  }

  /**
   * Marks {@code id} lost (logged at ERROR the first time): allocations and submissions on it fail
   * fast with {@link DeviceLostException} from now on, and {@link #defaultDevice()} skips it.
   */
  public void markLost(DeviceId id, Throwable cause) {
    entry(id).markLost(cause);
  }

  /**
   * Allocates {@code elements} values on {@code id}, owned by the actor {@code owner} (accounted to
   * its path; the extension watches it and warns if it stops still owning live buffers). The buffer
   * has one reference, the owner's; see {@link OwnedBuffers} for freeing in {@code PostStop}.
   *
   * @throws DeviceOutOfMemoryException if it does not fit the device or its memory limit
   * @throws DeviceLostException if the device is lost
   * @throws IllegalArgumentException for an unknown device or a size that is not positive
   */
  public DeviceBuffer allocate(DeviceId id, DType dtype, long elements, ActorRef<?> owner) {
    Objects.requireNonNull(owner, "owner");
    String path = owner.path().toString();
    DeviceBuffer buffer = allocate(id, dtype, elements, path);
    if (watchedOwners.add(path)) {
      ownerWatch.tell(new OwnerWatch.Watch(owner));
    }
    return buffer;
  }

  /**
   * Allocates {@code elements} values on {@code id}, owned by {@code owner} (a name for owners that
   * are not actors: a component, a test). As {@link #allocate(DeviceId, DType, long, ActorRef)}
   * otherwise.
   */
  public DeviceBuffer allocate(DeviceId id, DType dtype, long elements, String owner) {
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(owner, "owner");
    DeviceEntry e = entry(id);
    leakDetector.poll(); // as Netty does: leaks surface at the next allocation
    e.checkHealthy("allocate of " + elements + " x " + dtype + " for " + owner);
    if (elements <= 0) {
      throw new IllegalArgumentException(
          "allocate on " + id + " for " + owner + ": size must be > 0 elements, got " + elements);
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(elements, (long) dtype.byteSize());
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException(
          "allocate on "
              + id
              + " for "
              + owner
              + ": "
              + elements
              + " x "
              + dtype
              + " overflows a byte count",
          overflow);
    }
    DeviceMemory memory = e.memory();
    memory.reserve(owner, bytes, GpuSettings.PATH + ".devices." + id.key() + ".memory-limit");
    DeviceBuffer buffer;
    try {
      buffer = e.backend().allocate(id, dtype, elements, owner);
      if (buffer == null) {
        throw new IllegalStateException("backend " + e.backend().name() + " returned no buffer");
      }
    } catch (OutOfMemoryError oom) {
      memory.unreserve(owner, bytes);
      long free = memory.usage().free();
      long reported = e.backend().freeMemory(id);
      DeviceOutOfMemoryException typed =
          new DeviceOutOfMemoryException(
              id,
              bytes,
              reported >= 0 ? Math.min(free, reported) : free,
              "the backend could not allocate (" + oom.getMessage() + "); owner " + owner);
      typed.addSuppressed(oom);
      throw typed;
    } catch (RuntimeException | Error t) {
      memory.unreserve(owner, bytes);
      if (t instanceof DeviceLostException) {
        e.markLost(t);
      }
      throw t;
    }
    memory.commit(buffer.id(), owner, bytes);
    buffer.addFreeListener(freed -> memory.free(freed.id()));
    leakDetector.track(buffer);
    return buffer;
  }

  /**
   * The work stream of {@code id}. Once the device is lost, {@code submit} returns a stage already
   * failed with {@link DeviceLostException}; a {@code DeviceLostException} coming out of work marks
   * the device lost.
   */
  public DeviceStream stream(DeviceId id) {
    return entry(id).stream();
  }

  /** What is allocated on {@code id} now, in all and per owner. */
  public MemoryUsage memory(DeviceId id) {
    return entry(id).memory().usage();
  }

  /**
   * Spawns a child of {@code ctx} that runs on {@code device}'s pinned dispatcher (its one thread)
   * with the bounded device mailbox ({@code zbmd.device-mailbox}).
   *
   * @throws DeviceLostException if the device is lost
   */
  public <T> ActorRef<T> spawn(
      ActorContext<?> ctx, Behavior<T> behavior, String name, DeviceId device) {
    entry(device).checkHealthy("spawn of " + name);
    return ctx.spawn(behavior, name, props(device));
  }

  /** The pinned dispatcher of {@code device}, for {@code Props} of your own. */
  public DispatcherSelector dispatcher(DeviceId device) {
    return DispatcherSelector.fromConfig(entry(device).dispatcherId());
  }

  /**
   * The props {@link #spawn} uses: {@code device}'s pinned dispatcher and the bounded device
   * mailbox; for {@code ActorTestKit.spawn} or {@code systemActorOf}.
   */
  public Props props(DeviceId device) {
    return dispatcher(device).withMailboxFromConfig(ZbmdMailboxes.DEVICE_MAILBOX);
  }

  /** The leak detector of this system. */
  public LeakDetector leakDetector() {
    return leakDetector;
  }

  private DeviceEntry entry(DeviceId id) {
    Objects.requireNonNull(id, "device id");
    DeviceEntry e = entries.get(id);
    if (e == null) {
      String backendNote =
          statuses.stream()
              .filter(s -> s.name().equals(id.backend()) && !s.available())
              .map(s -> "; backend " + s.name() + " is unavailable: " + s.reason().orElse("?"))
              .collect(Collectors.joining());
      throw new IllegalArgumentException(
          "unknown device " + id + "; known devices: " + entries.keySet() + backendNote);
    }
    return e;
  }

  private void ownerStopped(ActorRef<?> owner) {
    String path = owner.path().toString();
    watchedOwners.remove(path);
    for (DeviceEntry e : entries.values()) {
      List<DeviceMemory.Allocation> left = e.memory().liveOf(path);
      if (!left.isEmpty()) {
        long bytes = left.stream().mapToLong(DeviceMemory.Allocation::bytes).sum();
        List<String> ids = new ArrayList<>();
        left.forEach(a -> ids.add("buffer#" + a.bufferId()));
        log.warn(
            "actor {} stopped while {} it allocated on {} is still live in {}: release buffers in"
                + " PostStop (OwnedBuffers.close()) unless another actor retained them; the leak"
                + " detector reports any that become unreachable unreleased",
            path,
            Bytes.format(bytes),
            e.id(),
            ids);
      }
    }
  }

  private void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (memoryMetrics != null) {
      memoryMetrics.cancel();
    }
    if (leakChecks != null) {
      leakChecks.cancel();
    }
    leakDetector.poll();
    for (Backend b : backends) {
      BackendDiscovery.closeQuietly(b);
    }
    log.debug(
        "zbmd GPU extension closed its backends {}", backends.stream().map(Backend::name).toList());
  }
}
