package io.zbmd.checkpoint;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The journal's settings, read once from {@code zbmd.checkpoint.journal} (see this module's {@code
 * reference.conf}): which database, how to reach it, pool size, schema creation and snapshots.
 * {@link #pluginConfig()} turns them into the configuration of the three Pekko plugins the journal
 * uses, handed to Pekko at run time so that one key ({@code database}) switches all of them.
 *
 * <pre>{@code
 * JournalSettings s = CheckpointJournal.get(system).settings();
 * s.database(); // H2 unless application.conf says zbmd.checkpoint.journal.database = postgres
 * }</pre>
 */
public final class JournalSettings {
  /** The databases the journal knows; the value of {@code zbmd.checkpoint.journal.database}. */
  public enum Database {
    /** Embedded H2 file database (the default): nothing to install. */
    H2("slick.jdbc.H2Profile$", "org.h2.Driver"),
    /** A PostgreSQL server, for production and for several processes sharing one journal. */
    POSTGRES("slick.jdbc.PostgresProfile$", "org.postgresql.Driver");

    private final String slickProfile;
    private final String driver;

    Database(String slickProfile, String driver) {
      this.slickProfile = slickProfile;
      this.driver = driver;
    }

    /** The Slick profile pekko-persistence-jdbc uses for this database. */
    public String slickProfile() {
      return slickProfile;
    }

    /** The JDBC driver class. */
    public String driver() {
      return driver;
    }
  }

  /** Where these settings live in the configuration. */
  public static final String PATH = "zbmd.checkpoint.journal";

  private static final Pattern H2_PROTOCOL = Pattern.compile("^[A-Za-z][A-Za-z0-9]+:.*");

  private final Database database;
  private final String url;
  private final String user;
  private final String password;
  private final int connections;
  private final boolean createSchema;
  private final int snapshotEvery;
  private final Config pluginConfig;

  private JournalSettings(Config c) {
    String name = c.getString("database");
    try {
      database = Database.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          PATH + ".database = \"" + name + "\" is not a known database; use h2 or postgres", e);
    }
    Config db = c.getConfig(database.name().toLowerCase(Locale.ROOT));
    url = database == Database.H2 ? absoluteH2Url(db.getString("url")) : db.getString("url");
    user = db.getString("user");
    password = db.getString("password");
    connections = c.getInt("connections");
    if (connections < 1) {
      throw new IllegalArgumentException(PATH + ".connections = " + connections + "; must be >= 1");
    }
    createSchema = c.getBoolean("create-schema");
    snapshotEvery = c.getInt("snapshot-every");
    if (snapshotEvery < 0) {
      throw new IllegalArgumentException(
          PATH + ".snapshot-every = " + snapshotEvery + "; must be >= 0 (0 = no snapshots)");
    }
    pluginConfig = buildPluginConfig();
  }

  /** Reads the settings from {@code config}, a full (resolved) system configuration. */
  public static JournalSettings create(Config config) {
    return new JournalSettings(config.getConfig(PATH));
  }

  /** The database in use. */
  public Database database() {
    return database;
  }

  /** The JDBC URL; for H2, a relative file path is made absolute against the working directory. */
  public String url() {
    return url;
  }

  /** The database user. */
  public String user() {
    return user;
  }

  /** The database password. */
  public String password() {
    return password;
  }

  /** Connections in each of the journal's three pools (journal, snapshot store, read journal). */
  public int connections() {
    return connections;
  }

  /** Whether the tables are created (if missing) before the first use of the journal. */
  public boolean createSchema() {
    return createSchema;
  }

  /** Events between snapshots of a run's state; 0 for none. */
  public int snapshotEvery() {
    return snapshotEvery;
  }

  /**
   * Configuration for the journal's three Pekko plugins ({@link
   * CheckpointJournal#JOURNAL_PLUGIN_ID} and the others), rooted like the system configuration:
   * their {@code slick} blocks pointing at this database. Pekko lays it over the system
   * configuration when it starts the plugins.
   */
  public Config pluginConfig() {
    return pluginConfig;
  }

  private Config buildPluginConfig() {
    Config slick =
        ConfigFactory.empty()
            .withValue("profile", ConfigValueFactory.fromAnyRef(database.slickProfile()))
            .withValue("db.url", ConfigValueFactory.fromAnyRef(url))
            .withValue("db.user", ConfigValueFactory.fromAnyRef(user))
            .withValue("db.password", ConfigValueFactory.fromAnyRef(password))
            .withValue("db.driver", ConfigValueFactory.fromAnyRef(database.driver()))
            .withValue("db.numThreads", ConfigValueFactory.fromAnyRef(connections))
            .withValue("db.maxConnections", ConfigValueFactory.fromAnyRef(connections))
            .withValue("db.minConnections", ConfigValueFactory.fromAnyRef(1));
    Config plugins = ConfigFactory.empty();
    for (String id :
        new String[] {
          CheckpointJournal.JOURNAL_PLUGIN_ID,
          CheckpointJournal.SNAPSHOT_PLUGIN_ID,
          CheckpointJournal.READ_JOURNAL_PLUGIN_ID
        }) {
      plugins = plugins.withValue(id + ".slick", slick.root());
    }
    return plugins;
  }

  /**
   * {@code url} with a relative H2 file path made absolute, since H2 refuses paths that are
   * implicitly relative to the working directory ({@code jdbc:h2:file:zbmd-data/journal}). Other
   * URLs (in-memory, TCP, {@code ~/}) come back unchanged.
   */
  static String absoluteH2Url(String url) {
    String prefix = "jdbc:h2:";
    if (!url.startsWith(prefix)) {
      return url;
    }
    String rest = url.substring(prefix.length());
    String scheme = "";
    if (rest.startsWith("file:")) {
      scheme = "file:";
      rest = rest.substring(scheme.length());
    } else if (H2_PROTOCOL.matcher(rest).matches()) {
      return url; // mem:, tcp:, ssl:, zip:... (a Windows drive letter is one letter, not these)
    }
    int semicolon = rest.indexOf(';');
    String path = semicolon < 0 ? rest : rest.substring(0, semicolon);
    String options = semicolon < 0 ? "" : rest.substring(semicolon);
    if (path.isEmpty() || path.startsWith("~") || Path.of(path).isAbsolute()) {
      return url;
    }
    return prefix + scheme + Path.of(path).toAbsolutePath().normalize() + options;
  }

  @Override
  public String toString() {
    return "JournalSettings[database="
        + database
        + ", url="
        + url
        + ", user="
        + user
        + ", connections="
        + connections
        + ", createSchema="
        + createSchema
        + ", snapshotEvery="
        + snapshotEvery
        + "]";
  }
}
