package io.zbmd.samples.cli;

import picocli.CommandLine;

/** Reads the version Maven wrote into the jar's {@code version.conf}. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    com.typesafe.config.Config c =
        com.typesafe.config.ConfigFactory.parseResources(VersionProvider.class.getClassLoader(), "version.conf");
    return new String[] {"zbmd " + (c.hasPath("zbmd.version") ? c.getString("zbmd.version") : "unknown")};
  }
}
