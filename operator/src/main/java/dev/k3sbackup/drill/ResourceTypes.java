package dev.k3sbackup.drill;

import dev.k3sbackup.api.v1alpha1.ResourceKeyCount;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the keys Kubernetes keeps under {@code /registry/} per resource type, as the API server
 * lays them out: {@code /registry/<resource>/[<namespace>/]<name>} for the built-in types and
 * {@code /registry/<group>/<resource>/...} for custom resources (whose group has a dot), which
 * are named {@code <resource>.<group>} as kubectl names them.
 */
public final class ResourceTypes {

  /** Where Kubernetes keeps its objects in etcd. */
  public static final String PREFIX = "/registry/";

  private final Map<String, Long> counts = new TreeMap<>();
  private long total;

  /** The resource type of {@code key}, or null when it is not under {@link #PREFIX}. */
  public static String typeOf(String key) {
    if (!key.startsWith(PREFIX) || key.length() == PREFIX.length()) {
      return null;
    }
    String[] parts = key.substring(PREFIX.length()).split("/", 3);
    if (parts.length >= 3 && parts[0].contains(".")) {
      return parts[1] + "." + parts[0];
    }
    return parts[0];
  }

  /** Counts {@code key}. */
  public void add(String key) {
    String type = typeOf(key);
    if (type != null) {
      counts.merge(type, 1L, Long::sum);
      total++;
    }
  }

  public long total() {
    return total;
  }

  public int types() {
    return counts.size();
  }

  /** Every type's count, by name. */
  public Map<String, Long> all() {
    return java.util.Collections.unmodifiableMap(counts);
  }

  /** The {@code n} most numerous types, most numerous first (then by name). */
  public List<ResourceKeyCount> top(int n) {
    return counts.entrySet().stream()
        .sorted(Comparator.comparing((Map.Entry<String, Long> e) -> e.getValue()).reversed()
            .thenComparing(Map.Entry::getKey))
        .limit(n).map(e -> new ResourceKeyCount(e.getKey(), e.getValue())).toList();
  }
}
