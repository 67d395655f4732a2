package io.zbmd.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.zbmd.runtime.Zbmd;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Starts this JVM as a node of a zbmd cluster: Pekko Cluster over Artery TCP, joined through seed
 * nodes, with the Split Brain Resolver (keep-majority) downing members that die. The settings are
 * {@code zbmd.cluster.node} of this module's {@code reference.conf}, under your application.conf,
 * under the host, port and seeds given here.
 *
 * <pre>{@code
 * ActorSystem<Void> node = ClusterBootstrap.start(Behaviors.empty(), "10.0.0.5", 25520,
 *     List.of("10.0.0.5:25520", "10.0.0.6:25520"), ConfigFactory.empty());
 * }</pre>
 */
public final class ClusterBootstrap {
  private ClusterBootstrap() {}

  /**
   * A cluster node's configuration. {@code port} 0 picks a free port; an empty {@code seeds} keeps
   * the seed nodes of the configuration. Seeds are {@code host:port}.
   */
  public static Config config(String host, int port, List<String> seeds, Config overrides) {
    Config reference = ConfigFactory.defaultReferenceUnresolved();
    String system = overrides.withFallback(reference).getString("zbmd.cluster.system-name");
    Config given = ConfigFactory.empty()
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port));
    if (!seeds.isEmpty()) {
      given = given.withValue("pekko.cluster.seed-nodes",
          ConfigValueFactory.fromIterable(seedAddresses(system, seeds)));
    }
    Config user = given.withFallback(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication());
    return Zbmd.config(user.withFallback(reference.getConfig("zbmd.cluster.node")));
  }

  /** Starts a node with {@link #config}; the system is named {@code zbmd.cluster.system-name}. */
  public static <T> ActorSystem<T> start(Behavior<T> guardian, String host, int port,
      List<String> seeds, Config overrides) {
    Config config = config(host, port, seeds, overrides);
    return Zbmd.create(guardian, config.getString("zbmd.cluster.system-name"), config);
  }

  /** {@code host:port} pairs as Pekko addresses of {@code system}; bad ones name themselves. */
  public static List<String> seedAddresses(String system, List<String> seeds) {
    List<String> out = new ArrayList<>();
    for (String seed : seeds) {
      int colon = seed.lastIndexOf(':');
      int port = -1;
      if (colon > 0) {
        try {
          port = Integer.parseInt(seed.substring(colon + 1));
        } catch (NumberFormatException e) {
          port = -1;
        }
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("seed node '" + seed + "' is not HOST:PORT with a "
            + "port from 1 to 65535");
      }
      out.add("pekko://" + system + "@" + seed.substring(0, colon) + ":" + port);
    }
    return out;
  }
}
