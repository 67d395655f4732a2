package io.zbmd.checkpoint;

import com.typesafe.config.Config;

/**
 * {@link TrainingJournalContract} on PostgreSQL ({@code ZBMD_POSTGRES_URL}, default
 * jdbc:postgresql://127.0.0.1:5432/zbmd): skips without a server, fails under {@code
 * -Dzbmd.require=postgres}.
 */
class TrainingJournalPostgresTest extends TrainingJournalContract {
  @Override
  Config database() {
    return TestDatabases.postgres();
  }
}
