package io.zbmd.checkpoint;

import com.typesafe.config.Config;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link TrainingJournalContract} on the default embedded H2, in a fresh data directory. */
class TrainingJournalH2Test extends TrainingJournalContract {
  @TempDir static Path dataDir;

  @Override
  Config database() {
    // A directory that does not exist yet: the journal creates it.
    return TestDatabases.h2(dataDir.resolve("nested/zbmd-data"));
  }
}
