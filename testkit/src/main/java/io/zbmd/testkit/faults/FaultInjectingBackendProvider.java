package io.zbmd.testkit.faults;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BackendProvider;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Loads a {@link FaultInjectingBackend} by config, under the name {@code faulty}: {@link
 * #create(Config)} reads the {@code zbmd.gpu.faulty} block (documented in testkit's {@code
 * reference.conf}), finds the provider named by {@code delegate} with {@link ServiceLoader},
 * creates it with {@code delegate-config} and wraps it. Its rank is the lowest, so that it is used
 * only where config names it.
 *
 * <pre>{@code
 * zbmd.gpu.backends = [faulty]
 * zbmd.gpu.faulty { delegate = cpu, seed = 42, failure-probability = 0.05, ops = [gemm] }
 * }</pre>
 *
 * <p>Availability: {@link #unavailabilityCause()} has no config to read, so it reports on the
 * default delegate ({@value #DEFAULT_DELEGATE}); {@link #create} checks the delegate actually
 * configured and fails with that delegate's unavailability cause.
 */
public final class FaultInjectingBackendProvider implements BackendProvider {
  /** The delegate when config names none. */
  public static final String DEFAULT_DELEGATE = "cpu";

  @Override
  public String name() {
    return FaultInjectingBackend.NAME;
  }

  @Override
  public int rank() {
    // Far below every real backend, and safe from overflow in a comparator that subtracts ranks.
    return -1000;
  }

  /** Listed by {@code GpuExtension.backends()} only where config names it. */
  @Override
  public boolean testOnly() {
    return true;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    return delegateUnavailability(DEFAULT_DELEGATE);
  }

  @Override
  public Backend create(Config config) {
    String name = config.hasPath("delegate") ? config.getString("delegate") : DEFAULT_DELEGATE;
    FaultPlan plan = FaultPlan.fromConfig(config);
    Config delegateConfig =
        config.hasPath("delegate-config")
            ? config.getConfig("delegate-config")
            : ConfigFactory.empty();
    BackendProvider delegate = provider(name);
    delegate
        .unavailabilityCause(delegateConfig) // e.g. vulkan's allow-cpu-devices is in that block
        .ifPresent(
            cause -> {
              throw new IllegalStateException(
                  "zbmd.gpu.faulty.delegate = " + name + " is not available here: " + cause, cause);
            });
    return FaultInjectingBackend.wrap(delegate.create(delegateConfig), plan);
  }

  private static Optional<Throwable> delegateUnavailability(String name) {
    try {
      return provider(name).unavailabilityCause();
    } catch (IllegalArgumentException e) {
      return Optional.of(e);
    }
  }

  private static BackendProvider provider(String name) {
    if (name.equals(FaultInjectingBackend.NAME)) {
      throw new IllegalArgumentException("zbmd.gpu.faulty.delegate cannot be faulty itself");
    }
    List<BackendProvider> all =
        ServiceLoader.load(
                BackendProvider.class, FaultInjectingBackendProvider.class.getClassLoader())
            .stream()
            .map(ServiceLoader.Provider::get)
            .toList();
    return all.stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "zbmd.gpu.faulty.delegate = "
                        + name
                        + ": no such backend provider; found "
                        + all.stream()
                            .map(BackendProvider::name)
                            .filter(n -> !n.equals(FaultInjectingBackend.NAME))
                            .toList()));
  }
}
