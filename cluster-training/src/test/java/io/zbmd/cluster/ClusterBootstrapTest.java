package io.zbmd.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.Zbmd;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.Test;

/** The node configuration and the control messages' serializer, without starting a cluster. */
class ClusterBootstrapTest {
  @Test
  void aNodeGetsClusterArterySbrAndItsSeedsUnderTheCallersSettings() {
    Config c = ClusterBootstrap.config("10.0.0.5", 2552, List.of("10.0.0.5:2552", "h2:2553"),
        ConfigFactory.parseString("pekko.cluster.split-brain-resolver.stable-after = 7 s"));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals("tcp", c.getString("pekko.remote.artery.transport"));
    assertEquals("10.0.0.5", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(2552, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(List.of("pekko://zbmd@10.0.0.5:2552", "pekko://zbmd@h2:2553"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        c.getString("pekko.cluster.downing-provider-class"));
    assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(Duration.ofSeconds(7),
        c.getDuration("pekko.cluster.split-brain-resolver.stable-after"), "the caller wins");
    assertEquals(Duration.ofMillis(500),
        c.getDuration("pekko.cluster.failure-detector.heartbeat-interval"));
    assertEquals("off", c.getString("pekko.actor.allow-java-serialization"));
  }

  @Test
  void anOrdinarySystemOnTheSameClasspathStaysLocal() {
    assertEquals("local", Zbmd.config(ConfigFactory.empty()).getString("pekko.actor.provider"));
  }

  @Test
  void aBadSeedNamesItself() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClusterBootstrap.config("127.0.0.1", 0, List.of("hostonly"), ConfigFactory.empty()));
    assertTrue(e.getMessage().contains("'hostonly'"), e.getMessage());
  }

  record NotAControlMessage(String text) implements Serializable {}

  @Test
  void controlMessagesTravelAsCborAndJavaSerializationIsOff() throws Exception {
    ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "serialization");
    try {
      Serialization serialization = SerializationExtension.get(system);
      MemberOffer offer = new MemberOffer("pekko://zbmd@127.0.0.1:25520", "127.0.0.1", 40000,
          List.of("cpu:0", "cuda:1"));
      assertInstanceOf(JacksonCborSerializer.class, serialization.findSerializerFor(offer));
      byte[] bytes = serialization.serialize(offer).get();
      int id = serialization.findSerializerFor(offer).identifier();
      assertEquals(offer, serialization.deserialize(bytes, id, MemberOffer.class.getName()).get());
      assertTrue(serialization.serialize(new NotAControlMessage("x")).isFailure(),
          "a message without a binding must not fall back to Java serialization");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
