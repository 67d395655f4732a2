package io.zbmd.gpu;

/** Human-readable byte counts for messages and listings. */
public final class Bytes {
  private Bytes() {}

  /** {@code 1536} → {@code "1.5 KiB"}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
