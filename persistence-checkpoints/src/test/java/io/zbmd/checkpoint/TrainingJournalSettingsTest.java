package io.zbmd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.runtime.Zbmd;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** How {@code zbmd.checkpoint.journal} is read: no database needed. */
class TrainingJournalSettingsTest {
  private static final String CWD = Path.of("").toAbsolutePath().toString();

  private static JournalSettings settings(String overrides) {
    return JournalSettings.create(Zbmd.config(ConfigFactory.parseString(overrides)));
  }

  @Test
  void theDefaultIsAnH2FileUnderTheDataDirMadeAbsolute() {
    JournalSettings s = settings("");
    assertEquals(JournalSettings.Database.H2, s.database());
    assertEquals(
        "jdbc:h2:file:" + CWD + "/zbmd-data/journal/zbmd;DATABASE_TO_UPPER=false;WRITE_DELAY=0", s.url());
  }

  @Test
  void aDataDirWithoutDotSlashWorksToo() {
    // H2 itself refuses jdbc:h2:file:zbmd-data/...; the settings make it absolute.
    assertEquals(
        "jdbc:h2:file:" + CWD + "/runs/zbmd-data/journal/zbmd;DATABASE_TO_UPPER=false;WRITE_DELAY=0",
        settings("zbmd.data-dir = runs/zbmd-data").url());
    assertEquals(
        "jdbc:h2:file:/var/lib/zbmd/journal/zbmd;DATABASE_TO_UPPER=false;WRITE_DELAY=0",
        settings("zbmd.data-dir = /var/lib/zbmd").url());
  }

  @Test
  void h2UrlsOtherThanRelativeFilesAreLeftAlone() {
    assertEquals("jdbc:h2:mem:x;A=B", JournalSettings.absoluteH2Url("jdbc:h2:mem:x;A=B"));
    assertEquals("jdbc:h2:~/zbmd", JournalSettings.absoluteH2Url("jdbc:h2:~/zbmd"));
    assertEquals("jdbc:h2:tcp://db/zbmd", JournalSettings.absoluteH2Url("jdbc:h2:tcp://db/zbmd"));
    assertEquals("jdbc:h2:" + CWD + "/x", JournalSettings.absoluteH2Url("jdbc:h2:./x"));
  }

  @Test
  void postgresIsSelectedByOneKey() {
    JournalSettings s =
        settings(
            "zbmd.checkpoint.journal { database = postgres, postgres { url ="
                + " \"jdbc:postgresql://db:5432/runs\", user = u, password = p } }");
    assertEquals(JournalSettings.Database.POSTGRES, s.database());
    assertEquals("jdbc:postgresql://db:5432/runs", s.url());
    assertEquals("u", s.user());
    assertEquals("p", s.password());
    Config plugins = s.pluginConfig();
    for (String id :
        new String[] {
          CheckpointJournal.JOURNAL_PLUGIN_ID,
          CheckpointJournal.SNAPSHOT_PLUGIN_ID,
          CheckpointJournal.READ_JOURNAL_PLUGIN_ID
        }) {
      assertEquals("slick.jdbc.PostgresProfile$", plugins.getString(id + ".slick.profile"));
      assertEquals("jdbc:postgresql://db:5432/runs", plugins.getString(id + ".slick.db.url"));
    }
  }

  @Test
  void anUnknownDatabaseIsNamedInTheError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("zbmd.checkpoint.journal.database = mysql"));
    assertEquals(
        "zbmd.checkpoint.journal.database = \"mysql\" is not a known database; use h2 or postgres",
        e.getMessage());
  }

  @Test
  void theJournalHasPluginsOfItsOwn() {
    Config c = Zbmd.config(ConfigFactory.empty());
    assertEquals(
        "org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal",
        c.getString(CheckpointJournal.JOURNAL_PLUGIN_ID + ".class"));
    assertEquals(
        CheckpointJournal.JOURNAL_PLUGIN_ID,
        c.getString(CheckpointJournal.READ_JOURNAL_PLUGIN_ID + ".write-plugin"));
    // The application's default journal stays as the application sets it.
    assertTrue(c.getString("pekko.persistence.journal.plugin").isEmpty());
  }
}
