package io.zbmd.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The requirements zbmd's tests know by name. The system property {@value #REQUIRE_PROPERTY}
 * (comma-separated names, e.g. {@code -Dzbmd.require=vulkan,postgres}) turns a skip for a missing
 * requirement into a failure; an unknown name in it fails too, so a typo cannot disable the check.
 *
 * <pre>{@code
 * Requirements.postgres().check(); // skips here, fails in CI if PostgreSQL did not start
 * }</pre>
 */
public final class Requirements {
  /** System property naming the requirements that must be met (failing instead of skipping). */
  public static final String REQUIRE_PROPERTY = "zbmd.require";

  /** Names that {@value #REQUIRE_PROPERTY} accepts. */
  public static final Set<String> KNOWN = Set.of("vulkan", "cuda", "postgres");

  /** Environment variable with the JDBC URL of the PostgreSQL server tests use. */
  public static final String POSTGRES_URL_ENV = "ZBMD_POSTGRES_URL";

  /** Environment variable with the user tests log in to PostgreSQL as. */
  public static final String POSTGRES_USER_ENV = "ZBMD_POSTGRES_USER";

  /** Environment variable with that user's password. */
  public static final String POSTGRES_PASSWORD_ENV = "ZBMD_POSTGRES_PASSWORD";

  static final String DEFAULT_POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/zbmd";
  static final String DEFAULT_POSTGRES_USER = "zbmd";
  static final String DEFAULT_POSTGRES_PASSWORD = "zbmd";

  private static final List<String> LIB_DIRS =
      List.of(
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib64",
          "/usr/lib",
          "/lib/x86_64-linux-gnu",
          "/usr/local/lib",
          "/usr/lib/aarch64-linux-gnu");

  private Requirements() {}

  /** A Vulkan loader and at least one installable client driver (ICD), e.g. Mesa lavapipe. */
  public static Requirement vulkan() {
    return new Requirement(
        "vulkan",
        () -> {
          if (findLibrary("libvulkan.so.1").isEmpty()) {
            return Optional.of(
                "no Vulkan loader (libvulkan.so.1) in " + LIB_DIRS
                    + "; install libvulkan1 and mesa-vulkan-drivers");
          }
          if (icdManifests().isEmpty()) {
            return Optional.of(
                "no Vulkan driver manifest (ICD) under /usr/share/vulkan/icd.d or"
                    + " /etc/vulkan/icd.d; install mesa-vulkan-drivers or an NVIDIA driver");
          }
          return Optional.empty();
        });
  }

  /** An NVIDIA driver (libcuda.so.1) and at least one device node (/dev/nvidia0). */
  public static Requirement cuda() {
    return new Requirement(
        "cuda",
        () -> {
          if (findLibrary("libcuda.so.1").isEmpty()) {
            return Optional.of("no NVIDIA driver library (libcuda.so.1) on this machine");
          }
          if (!Files.exists(Path.of("/dev/nvidia0"))) {
            return Optional.of("libcuda.so.1 is present but no GPU device node /dev/nvidia0");
          }
          return Optional.empty();
        });
  }

  /**
   * A PostgreSQL server accepting TCP connections at {@link #postgresUrl()} ({@value
   * #POSTGRES_URL_ENV}, default {@value #DEFAULT_POSTGRES_URL}).
   */
  public static Requirement postgres() {
    return new Requirement(
        "postgres",
        () -> {
          String url = postgresUrl();
          URI uri = URI.create(url.substring("jdbc:".length()));
          int port = uri.getPort() < 0 ? 5432 : uri.getPort();
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), port), 1000);
            return Optional.empty();
          } catch (IOException e) {
            return Optional.of(
                "no PostgreSQL server at " + uri.getHost() + ":" + port + " (" + e.getMessage()
                    + "); set " + POSTGRES_URL_ENV + " or start one");
          }
        });
  }

  /** The JDBC URL of the PostgreSQL server tests use. */
  public static String postgresUrl() {
    String env = System.getenv(POSTGRES_URL_ENV);
    return env == null || env.isBlank() ? DEFAULT_POSTGRES_URL : env;
  }

  /** The PostgreSQL user tests log in as ({@value #POSTGRES_USER_ENV}, default {@code zbmd}). */
  public static String postgresUser() {
    String env = System.getenv(POSTGRES_USER_ENV);
    return env == null || env.isBlank() ? DEFAULT_POSTGRES_USER : env;
  }

  /**
   * The password of {@link #postgresUser()} ({@value #POSTGRES_PASSWORD_ENV}, default {@code
   * zbmd}); an empty variable means an empty password.
   */
  public static String postgresPassword() {
    String env = System.getenv(POSTGRES_PASSWORD_ENV);
    return env == null ? DEFAULT_POSTGRES_PASSWORD : env;
  }

  /**
   * The names in {@value #REQUIRE_PROPERTY}.
   *
   * @throws IllegalArgumentException naming any entry that is not in {@link #KNOWN}
   */
  public static Set<String> required() {
    return parse(System.getProperty(REQUIRE_PROPERTY, ""));
  }

  static Set<String> parse(String value) {
    Set<String> names =
        Arrays.stream(value.split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toCollection(LinkedHashSet::new));
    Set<String> unknown = new LinkedHashSet<>(names);
    unknown.removeAll(KNOWN);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          REQUIRE_PROPERTY + " names unknown requirements " + unknown + "; known: " + KNOWN);
    }
    return names;
  }

  private static Optional<Path> findLibrary(String name) {
    return LIB_DIRS.stream().map(d -> Path.of(d, name)).filter(Files::exists).findFirst();
  }

  private static List<Path> icdManifests() {
    return List.of("/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d")
        .stream()
        .map(Path::of)
        .filter(Files::isDirectory)
        .flatMap(
            d -> {
              try (var s = Files.list(d)) {
                return s.filter(p -> p.toString().endsWith(".json")).toList().stream();
              } catch (IOException e) {
                return java.util.stream.Stream.empty();
              }
            })
        .toList();
  }
}
