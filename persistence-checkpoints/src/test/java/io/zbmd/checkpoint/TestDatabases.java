package io.zbmd.checkpoint;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.testkit.Requirements;
import java.nio.file.Path;
import java.util.Map;

/** The configurations the journal tests run against: H2 in a directory, or the test PostgreSQL. */
final class TestDatabases {
  private TestDatabases() {}

  /** An H2 journal under {@code dataDir} (as {@code zbmd.data-dir}). */
  static Config h2(Path dataDir) {
    return ConfigFactory.parseMap(
        Map.of("zbmd.data-dir", dataDir.toString(), "zbmd.checkpoint.journal.database", "h2"));
  }

  /** The PostgreSQL of {@link Requirements#postgresUrl()}; skips (or fails) unless it runs. */
  static Config postgres() {
    Requirements.postgres().check();
    return ConfigFactory.parseMap(
        Map.of(
            "zbmd.checkpoint.journal.database", "postgres",
            "zbmd.checkpoint.journal.postgres.url", Requirements.postgresUrl(),
            "zbmd.checkpoint.journal.postgres.user", Requirements.postgresUser(),
            "zbmd.checkpoint.journal.postgres.password", Requirements.postgresPassword()));
  }
}
