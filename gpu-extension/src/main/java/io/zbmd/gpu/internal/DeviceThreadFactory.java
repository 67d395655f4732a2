package io.zbmd.gpu.internal;

import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the thread of a device's pinned dispatcher: named after the device ({@code
 * zbmd-device-cpu-0}), and running the backend's per-thread binding (a CUDA context, say) once,
 * first thing, before any actor runs on it. If the binding fails, the device is marked lost and the
 * thread still runs, so that the actors on it fail with {@code DeviceLostException} instead of
 * hanging.
 */
public final class DeviceThreadFactory implements ThreadFactory {
  private static final Logger log = LoggerFactory.getLogger(DeviceThreadFactory.class);

  /** Binds the current thread to the device; may throw. */
  @FunctionalInterface
  public interface Binder {
    void bindCurrentThread() throws Exception;
  }

  private final String name;
  private final boolean daemon;
  private final ClassLoader classLoader;
  private final Binder binder;
  private final java.util.function.Consumer<Throwable> onBindFailure;

  public DeviceThreadFactory(
      String name,
      boolean daemon,
      ClassLoader classLoader,
      Binder binder,
      java.util.function.Consumer<Throwable> onBindFailure) {
    this.name = name;
    this.daemon = daemon;
    this.classLoader = classLoader;
    this.binder = binder;
    this.onBindFailure = onBindFailure;
  }

  /** The name every thread of this factory gets. */
  public String name() {
    return name;
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t =
        new Thread(
            () -> {
              bind();
              r.run();
            },
            name);
    t.setDaemon(daemon);
    if (classLoader != null) {
      t.setContextClassLoader(classLoader);
    }
    t.setUncaughtExceptionHandler(
        (thread, e) -> log.error("uncaught exception on device thread {}", thread.getName(), e));
    return t;
  }

  private void bind() {
    try {
      binder.bindCurrentThread();
      log.debug("bound device thread {}", name);
    } catch (Throwable e) {
      log.error("binding device thread {} failed", name, e);
      onBindFailure.accept(e);
    }
  }
}
