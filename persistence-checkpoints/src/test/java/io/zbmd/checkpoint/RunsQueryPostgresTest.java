package io.zbmd.checkpoint;

import com.typesafe.config.Config;

/** {@link RunsQueryContract} on PostgreSQL: skips without a server, fails if required. */
class RunsQueryPostgresTest extends RunsQueryContract {
  @Override
  Config database() {
    return TestDatabases.postgres();
  }
}
