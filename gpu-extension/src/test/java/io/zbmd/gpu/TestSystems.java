package io.zbmd.gpu;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.Zbmd;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** Actor systems for this module's tests: zbmd's configuration with a few overrides. */
final class TestSystems {
  private TestSystems() {}

  static Config config(String hocon) {
    return Zbmd.config(ConfigFactory.parseString(hocon));
  }

  static ActorTestKit kit(String name, String hocon) {
    return ActorTestKit.create(name, config(hocon));
  }
}
