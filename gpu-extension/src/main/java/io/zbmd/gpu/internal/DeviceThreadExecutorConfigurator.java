package io.zbmd.gpu.internal;

import com.typesafe.config.Config;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.MonitorableThreadFactory;

/**
 * A Pekko executor of exactly one thread that never times out, named by {@code executor} in a
 * dispatcher block as any custom executor is. The default executor of {@code
 * zbmd.gpu.device-dispatcher}, where the device's thread factory names the thread and binds it to
 * the device; usable for any dispatcher that must run on one thread:
 *
 * <pre>{@code
 * my-single-thread-dispatcher {
 *   type = Dispatcher
 *   executor = "io.zbmd.gpu.internal.DeviceThreadExecutorConfigurator"
 * }
 * }</pre>
 */
public final class DeviceThreadExecutorConfigurator extends ExecutorServiceConfigurator {
  public DeviceThreadExecutorConfigurator(Config config, DispatcherPrerequisites prerequisites) {
    super(config, prerequisites);
  }

  @Override
  public ExecutorServiceFactory createExecutorServiceFactory(
      String id, ThreadFactory threadFactory) {
    // Pekko's own factory (outside GpuExtension) is renamed after the dispatcher, as Pekko does.
    ThreadFactory tf =
        threadFactory instanceof MonitorableThreadFactory m
            ? m.withName(m.name() + "-" + id)
            : threadFactory;
    return () ->
        new ThreadPoolExecutor(1, 1, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), tf);
  }
}
