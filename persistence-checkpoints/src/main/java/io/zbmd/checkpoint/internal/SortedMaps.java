package io.zbmd.checkpoint.internal;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.annotation.InternalApi;

/**
 * INTERNAL API: immutable, key-sorted copies of the maps that events and states carry, so that
 * listings and error messages come out in the same order every time.
 */
@InternalApi
public final class SortedMaps {
  private SortedMaps() {}

  /**
   * An unmodifiable sorted copy of {@code map} (empty for null).
   *
   * @param what names the map in the error, e.g. {@code "config"}
   * @throws IllegalArgumentException naming a null key or the key of a null value
   */
  public static <V> SortedMap<String, V> copy(Map<String, V> map, String what) {
    if (map == null) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, V> copy = new TreeMap<>();
    for (Map.Entry<String, V> e : map.entrySet()) {
      if (e.getKey() == null) {
        throw new IllegalArgumentException(what + " has a null key");
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException(what + " has a null value for key '" + e.getKey() + "'");
      }
      copy.put(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableSortedMap(copy);
  }
}
