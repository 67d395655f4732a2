package io.zbmd.checkpoint.internal;

import io.zbmd.checkpoint.JournalSettings;
import io.zbmd.checkpoint.JournalSettings.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: creates the journal's tables with the scripts pekko-persistence-jdbc ships ({@code
 * schema/h2/h2-create-schema.sql}, {@code schema/postgres/postgres-create-schema.sql}).
 *
 * <p>The scripts are not idempotent on their own: their tables say {@code IF NOT EXISTS}, but the
 * {@code event_journal_ordering_idx} index (and PostgreSQL's {@code CREATE INDEX CONCURRENTLY}
 * indexes) do not. So {@link #ensure} skips the script when the tables are there, and {@link
 * #applyScript} tolerates "already exists" and nothing else. The plugin's own {@code
 * SchemaUtils.createIfNotExists} swallows every error (a wrong password included) and reads the
 * database from the system configuration rather than from {@link JournalSettings}, hence this.
 */
@InternalApi
public final class JournalSchema {
  /**
   * SQLSTATEs of "already exists": H2 table and index, PostgreSQL relation and object, and the
   * unique violation PostgreSQL raises when two processes create the same table at once.
   */
  private static final Set<String> ALREADY_EXISTS =
      Set.of("42S01", "42S11", "42P07", "42710", "23505");

  private JournalSchema() {}

  /** Creates the tables unless they exist; blocking (call it off the default dispatcher). */
  public static void ensure(JournalSettings settings) {
    try (Connection c = connect(settings)) {
      if (!exists(c)) {
        applyScript(c, settings.database());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not create the training journal's tables in "
              + settings.url()
              + " as user '"
              + settings.user()
              + "': "
              + e.getMessage(),
          e);
    }
  }

  /** Whether the journal's tables ({@code event_journal}, {@code snapshot}) are there. */
  public static boolean exists(Connection c) throws SQLException {
    return hasTable(c.getMetaData(), "event_journal") && hasTable(c.getMetaData(), "snapshot");
  }

  /** Runs the shipped create script, statement by statement, tolerating "already exists". */
  public static void applyScript(Connection c, Database database) throws SQLException {
    String name = database.name().toLowerCase(java.util.Locale.ROOT);
    String script = resource("schema/" + name + "/" + name + "-create-schema.sql");
    c.setAutoCommit(true); // CREATE INDEX CONCURRENTLY refuses to run inside a transaction
    try (Statement s = c.createStatement()) {
      for (String sql : script.split(";")) {
        if (sql.isBlank()) {
          continue;
        }
        try {
          s.execute(sql.trim());
        } catch (SQLException e) {
          if (!ALREADY_EXISTS.contains(e.getSQLState())) {
            throw new SQLException(
                e.getMessage() + " (in: " + sql.trim() + ")", e.getSQLState(), e.getErrorCode(), e);
          }
        }
      }
    }
  }

  /** A connection to the journal's database. */
  public static Connection connect(JournalSettings settings) throws SQLException {
    return DriverManager.getConnection(settings.url(), settings.user(), settings.password());
  }

  private static boolean hasTable(DatabaseMetaData meta, String table) throws SQLException {
    try (ResultSet rs = meta.getTables(null, null, table, new String[] {"TABLE"})) {
      while (rs.next()) {
        if ("public".equalsIgnoreCase(rs.getString("TABLE_SCHEM"))) {
          return true;
        }
      }
      return false;
    }
  }

  private static String resource(String path) {
    // The scripts sit in pekko-persistence-jdbc's jar, next to its classes.
    ClassLoader loader =
        org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(
            path + " is not on the class path; is pekko-persistence-jdbc missing?");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + path, e);
    }
  }
}
