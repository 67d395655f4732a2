package io.zbmd.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.Zbmd;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives a test class one {@link ActorTestKit} running zbmd's configuration
 * (the same layers as {@link Zbmd#create}), created before the first test and shut down after the
 * last.
 *
 * <pre>{@code
 * class EchoTest {
 *   @RegisterExtension
 *   static final ZbmdTestKitExtension testKit = ZbmdTestKitExtension.create();
 *
 *   @Test
 *   void echoes() {
 *     TestProbe<String> probe = testKit.kit().createTestProbe();
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>With {@code @ExtendWith(ZbmdTestKitExtension.class)} instead, tests take the kit as a
 * parameter: {@code void echoes(ActorTestKit kit)}.
 */
public final class ZbmdTestKitExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private final Config overrides;
  private volatile ActorTestKit kit;

  /** Used by {@code @ExtendWith}: zbmd's configuration with no overrides. */
  public ZbmdTestKitExtension() {
    this(ConfigFactory.empty());
  }

  private ZbmdTestKitExtension(Config overrides) {
    this.overrides = overrides;
  }

  /** zbmd's configuration, unchanged. */
  public static ZbmdTestKitExtension create() {
    return new ZbmdTestKitExtension();
  }

  /** zbmd's configuration under {@code overrides} (HOCON). */
  public static ZbmdTestKitExtension withConfig(String overrides) {
    return new ZbmdTestKitExtension(ConfigFactory.parseString(overrides));
  }

  /** zbmd's configuration under {@code overrides}. */
  public static ZbmdTestKitExtension withConfig(Config overrides) {
    return new ZbmdTestKitExtension(overrides);
  }

  /** The running kit; only valid between the first and last test of the class. */
  public ActorTestKit kit() {
    ActorTestKit k = kit;
    if (k == null) {
      throw new IllegalStateException(
          "ZbmdTestKitExtension is not running: register it as a static @RegisterExtension field");
    }
    return k;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    String name = context.getRequiredTestClass().getSimpleName().replaceAll("[^A-Za-z0-9-]", "-");
    kit = ActorTestKit.create(name, Zbmd.config(overrides));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    ActorTestKit k = kit;
    kit = null;
    if (k != null) {
      k.shutdownTestKit();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == ActorTestKit.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return kit();
  }
}
