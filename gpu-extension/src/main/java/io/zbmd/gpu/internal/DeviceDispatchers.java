package io.zbmd.gpu.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuSettings;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.DefaultDispatcherPrerequisites;
import org.apache.pekko.dispatch.DispatcherConfigurator;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.Dispatchers;
import org.apache.pekko.dispatch.MessageDispatcherConfigurator;

/**
 * Registers one pinned dispatcher per device with Pekko, built from {@code
 * zbmd.gpu.device-dispatcher} as Pekko builds any dispatcher from its block ({@code type}, {@code
 * executor}, {@code throughput}...). The only difference is the thread factory: the device's, which
 * names the thread after the device and binds it before any actor runs.
 */
public final class DeviceDispatchers {
  private DeviceDispatchers() {}

  /** The dispatcher id (and thread name) of {@code device}: {@code zbmd-device-cpu-0}. */
  public static String dispatcherId(DeviceId device) {
    return "zbmd-device-" + device.key();
  }

  /**
   * Registers the dispatcher of {@code entry} under {@link DeviceEntry#dispatcherId()}.
   *
   * @throws IllegalArgumentException if the dispatcher block is wrong
   * @throws IllegalStateException if a dispatcher of that id is already registered
   */
  public static void register(ActorSystem classic, GpuSettings settings, DeviceEntry entry) {
    Dispatchers dispatchers = classic.dispatchers();
    DispatcherPrerequisites p = dispatchers.prerequisites();
    String id = entry.dispatcherId();
    DeviceThreadFactory threads =
        new DeviceThreadFactory(
            id,
            p.settings().Daemonicity(),
            p.dynamicAccess().classLoader(),
            () -> entry.backend().bindThread(entry.id()),
            cause ->
                entry.markLost(
                    new io.zbmd.gpu.DeviceLostException(
                        entry.id(), "binding device thread " + id + " failed: " + cause, cause)));
    DispatcherPrerequisites devicePrerequisites =
        new DefaultDispatcherPrerequisites(
            threads,
            p.eventStream(),
            p.scheduler(),
            p.dynamicAccess(),
            p.settings(),
            p.mailboxes(),
            p.defaultExecutionContext());
    Config config =
        ConfigFactory.parseMap(Map.of("id", id, "name", id))
            .withFallback(settings.deviceDispatcher())
            .withFallback(dispatchers.defaultDispatcherConfig());
    MessageDispatcherConfigurator configurator = configurator(config, devicePrerequisites);
    if (!dispatchers.registerConfigurator(id, configurator)) {
      throw new IllegalStateException(
          "a dispatcher with id "
              + id
              + " is already registered in "
              + classic.name()
              + "; is a second GpuExtension running in this actor system?");
    }
  }

  private static MessageDispatcherConfigurator configurator(
      Config config, DispatcherPrerequisites p) {
    String type = config.getString("type");
    switch (type) {
      case "Dispatcher":
        try {
          return new DispatcherConfigurator(config, p);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(
              GpuSettings.PATH
                  + ".device-dispatcher is not a valid "
                  + "dispatcher block: "
                  + e.getMessage(),
              e);
        }
      case "PinnedDispatcher":
      case "BalancingDispatcher":
        throw new IllegalArgumentException(
            GpuSettings.PATH
                + ".device-dispatcher.type = "
                + type
                + " would not share one thread between a device's actors; use Dispatcher "
                + "(or the class name of a MessageDispatcherConfigurator)");
      default:
        try {
          Class<?> c = Class.forName(type, true, p.dynamicAccess().classLoader());
          return (MessageDispatcherConfigurator)
              c.getConstructor(Config.class, DispatcherPrerequisites.class).newInstance(config, p);
        } catch (InvocationTargetException e) {
          throw new IllegalArgumentException(
              GpuSettings.PATH
                  + ".device-dispatcher.type = "
                  + type
                  + ": its constructor failed: "
                  + e.getCause(),
              e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
          throw new IllegalArgumentException(
              GpuSettings.PATH
                  + ".device-dispatcher.type must be Dispatcher or the class name of a"
                  + " MessageDispatcherConfigurator with a (Config, DispatcherPrerequisites)"
                  + " constructor, got '"
                  + type
                  + "': "
                  + e,
              e);
        }
    }
  }
}
