package io.zbmd.checkpoint;

import com.typesafe.config.Config;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link RunsQueryContract} on the default embedded H2. */
class RunsQueryH2Test extends RunsQueryContract {
  @TempDir static Path dataDir;

  @Override
  Config database() {
    return TestDatabases.h2(dataDir);
  }
}
