package io.zbmd.gpu.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendProvider;
import io.zbmd.gpu.BackendStatus;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.GpuSettings;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds backend providers with {@link ServiceLoader} and loads those named in {@code
 * zbmd.gpu.backends}, in that order. Nothing a provider does can fail discovery: a provider that
 * cannot load, says it is unavailable, or throws from {@code create} is reported unavailable with
 * the reason. Providers found but not named are not loaded (so that a test or optional backend on
 * the class path never joins silently) and are listed last, unavailable, with that reason.
 */
public final class BackendDiscovery {
  private static final Logger log = LoggerFactory.getLogger(BackendDiscovery.class);

  /**
   * What discovery found: a status per name, and the loaded backends by name, in configured order.
   */
  public record Result(List<BackendStatus> statuses, Map<String, Backend> loaded) {}

  private BackendDiscovery() {}

  public static Result discover(List<String> order, Config root, ClassLoader classLoader) {
    Map<String, BackendProvider> found = providers(classLoader);
    List<BackendStatus> statuses = new ArrayList<>();
    Map<String, Backend> loaded = new LinkedHashMap<>();
    for (String name : order) {
      BackendProvider provider = found.get(name);
      if (provider == null) {
        statuses.add(
            unavailable(
                name,
                0,
                "no provider on the class path (providers found: " + listed(found, order) + ")"));
        continue;
      }
      int rank = rank(provider);
      Config block = blockOf(root, name);
      Optional<String> why = whyUnavailable(provider, block);
      if (why.isPresent()) {
        statuses.add(unavailable(name, rank, why.get()));
        continue;
      }
      Backend backend;
      try {
        backend = provider.create(block);
      } catch (Throwable t) {
        log.warn("backend {} could not be created; skipping it", name, t);
        statuses.add(unavailable(name, rank, "create() failed: " + t));
        continue;
      }
      List<Device> devices;
      try {
        devices = List.copyOf(backend.devices());
      } catch (Throwable t) {
        log.warn("backend {} could not list its devices; skipping it", name, t);
        closeQuietly(backend);
        statuses.add(unavailable(name, rank, "devices() failed: " + t));
        continue;
      }
      loaded.put(name, backend);
      statuses.add(new BackendStatus(name, rank, true, Optional.empty(), devices));
    }
    for (Map.Entry<String, BackendProvider> e : found.entrySet()) {
      if (!order.contains(e.getKey()) && !e.getValue().testOnly()) {
        statuses.add(
            unavailable(
                e.getKey(),
                rank(e.getValue()),
                "not listed in " + GpuSettings.PATH + ".backends " + order));
      }
    }
    return new Result(List.copyOf(statuses), java.util.Collections.unmodifiableMap(loaded));
  }

  /** The providers' names, less the test-only ones that {@code order} does not name. */
  private static List<String> listed(Map<String, BackendProvider> found, List<String> order) {
    List<String> names = new ArrayList<>();
    found.forEach((name, p) -> {
      if (!p.testOnly() || order.contains(name)) {
        names.add(name);
      }
    });
    return names;
  }

  /** Closes a backend, logging instead of throwing. */
  public static void closeQuietly(Backend backend) {
    try {
      backend.close();
    } catch (Throwable t) {
      log.warn("closing backend {} failed", backend.name(), t);
    }
  }

  private static Map<String, BackendProvider> providers(ClassLoader classLoader) {
    Map<String, BackendProvider> found = new LinkedHashMap<>();
    Iterator<BackendProvider> it =
        ServiceLoader.load(BackendProvider.class, classLoader).iterator();
    while (true) {
      BackendProvider p;
      try {
        if (!it.hasNext()) {
          break;
        }
        p = it.next();
      } catch (ServiceConfigurationError e) {
        log.warn("a backend provider could not be instantiated; skipping it", e);
        continue;
      }
      String name;
      try {
        name = p.name();
      } catch (Throwable t) {
        log.warn(
            "backend provider {} failed to say its name; skipping it", p.getClass().getName(), t);
        continue;
      }
      BackendProvider previous = found.putIfAbsent(name, p);
      if (previous != null) {
        log.warn(
            "two providers for backend {}: {} and {}; using the first",
            name,
            previous.getClass().getName(),
            p.getClass().getName());
      }
    }
    return found;
  }

  private static Optional<String> whyUnavailable(BackendProvider provider, Config block) {
    try {
      Optional<Throwable> cause = provider.unavailabilityCause(block);
      if (cause.isPresent()) {
        log.info("backend {} unavailable", provider.name(), cause.get());
        return Optional.of(describe(cause.get()));
      }
      if (!provider.isAvailable(block)) {
        return Optional.of("the provider says it is unavailable and gives no cause");
      }
      return Optional.empty();
    } catch (Throwable t) {
      return Optional.of("checking availability failed: " + t);
    }
  }

  private static int rank(BackendProvider provider) {
    try {
      return provider.rank();
    } catch (Throwable t) {
      return 0;
    }
  }

  private static Config blockOf(Config root, String name) {
    String path = GpuSettings.PATH + "." + name;
    if (root.hasPath(path) && root.getValue(path).valueType() == ConfigValueType.OBJECT) {
      return root.getConfig(path);
    }
    return ConfigFactory.empty();
  }

  private static BackendStatus unavailable(String name, int rank, String reason) {
    return new BackendStatus(name, rank, false, Optional.of(reason), List.of());
  }

  private static String describe(Throwable t) {
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }
}
