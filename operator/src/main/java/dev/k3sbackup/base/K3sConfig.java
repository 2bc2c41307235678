package dev.k3sbackup.base;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * K3s's configuration file and its drop-ins, read the way K3s reads them (its
 * {@code pkg/configfilearg}): which file ({@code K3S_CONFIG_FILE} first, then {@code --config} /
 * {@code -c}, then {@value #DEFAULT_FILE}); the file, then every {@code *.yaml} / {@code *.yml}
 * of {@code <file>.d/} in name order; each top-level key a flag's long name without dashes, a list
 * one value per item, scalars as text; a later file replaces a key's value unless the key ends
 * in {@code +}, which appends. A missing file with no drop-ins is an empty configuration, as in
 * K3s.
 *
 * <p>Used where K3s's own settings on a node matter: the CLI takes its defaults from it as
 * {@code k3s etcd-snapshot} does, the node scan reads whether K3s's own snapshot schedule is on,
 * and a restore runs {@code --cluster-reset} with a copy that leaves out what K3s refuses there.
 */
public final class K3sConfig {

  /** Where K3s looks when nothing else is named. */
  public static final String DEFAULT_FILE = "/etc/rancher/k3s/config.yaml";
  /** The environment variable that names the file, and wins over {@code --config}. */
  public static final String ENV = "K3S_CONFIG_FILE";

  /** Made when a file is read or written: most hosts have none, and its start-up is 0.1 s. */
  private static final class Yaml {
    static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  }

  private final Map<String, List<String>> values;
  private final List<Path> files;

  private K3sConfig(Map<String, List<String>> values, List<Path> files) {
    this.values = values;
    this.files = files;
  }

  /** No configuration at all. */
  public static K3sConfig empty() {
    return new K3sConfig(new LinkedHashMap<>(), List.of());
  }

  /**
   * The file K3s reads: {@code K3S_CONFIG_FILE} from {@code env}, else {@code configFlag} (the
   * {@code --config} value, or null), else {@value #DEFAULT_FILE}.
   */
  public static Path locate(Map<String, String> env, String configFlag) {
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    return Path.of(configFlag != null && !configFlag.isBlank() ? configFlag : DEFAULT_FILE);
  }

  /** Reads {@code file} and its {@code file.d/} drop-ins; a file that is not YAML is refused. */
  public static K3sConfig read(Path file) throws IOException {
    List<Path> sources = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      sources.add(file);
    }
    Path dropIns = file.resolveSibling(file.getFileName() + ".d");
    if (Files.isDirectory(dropIns)) {
      try (Stream<Path> entries = Files.list(dropIns)) {
        entries.filter(Files::isRegularFile).filter(K3sConfig::isYamlName)
            .sorted(java.util.Comparator.comparing(p -> p.getFileName().toString()))
            .forEach(sources::add);
      }
    }
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (Path source : sources) {
      JsonNode root;
      try {
        root = Yaml.MAPPER.readTree(source.toFile());
      } catch (IOException e) {
        throw new IOException("K3s's configuration " + source + " is not valid YAML: "
            + e.getMessage(), e);
      }
      if (root == null || root.isNull() || root.isMissingNode()) {
        continue;
      }
      if (!root.isObject()) {
        throw new IOException("K3s's configuration " + source + " is not a map of settings");
      }
      var fields = root.fields();
      while (fields.hasNext()) {
        var field = fields.next();
        String key = field.getKey();
        boolean append = key.endsWith("+");
        if (append) {
          key = key.substring(0, key.length() - 1);
        }
        List<String> items = texts(field.getValue());
        if (append) {
          values.computeIfAbsent(key, k -> new ArrayList<>()).addAll(items);
        } else {
          values.put(key, new ArrayList<>(items)); // keeps the place it was first seen in

        }
      }
    }
    return new K3sConfig(values, List.copyOf(sources));
  }

  private static boolean isYamlName(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  private static List<String> texts(JsonNode value) {
    List<String> out = new ArrayList<>();
    if (value.isArray()) {
      value.forEach(v -> out.add(scalar(v)));
    } else {
      out.add(scalar(value));
    }
    return out;
  }

  private static String scalar(JsonNode v) {
    return v.isNull() ? "" : v.isValueNode() ? v.asText().strip() : v.toString();
  }

  /** The files read, in order (empty when none exists). */
  public List<Path> files() {
    return files;
  }

  /** The keys set, in the order K3s would pass them. */
  public Set<String> keys() {
    return Collections.unmodifiableSet(values.keySet());
  }

  /** Every value of {@code key} (several for a list), or none. */
  public List<String> values(String key) {
    return values.getOrDefault(key, List.of());
  }

  /** The value a single-valued flag ends with: the last one, as Go's flag parsing keeps. */
  public Optional<String> value(String key) {
    List<String> v = values(key);
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
  }

  /** The first of {@code keys} (a flag and its aliases) that is set, with its value. */
  public Optional<String> value(List<String> keys) {
    Optional<String> found = Optional.empty();
    for (String key : values.keySet()) { // K3s passes keys in file order: the last one wins
      if (keys.contains(key)) {
        found = value(key);
      }
    }
    return found;
  }

  /** A boolean flag as K3s parses it ({@code strconv.ParseBool}); empty when not set. */
  public Optional<Boolean> flag(List<String> keys) {
    return value(keys).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "1", "t", "true" -> true;
      case "0", "f", "false" -> false;
      default -> throw new IllegalArgumentException("K3s's configuration sets "
          + keys.get(0) + " to \"" + v + "\", which is not a boolean (true or false)");
    });
  }

  /** This configuration without {@code keys}, and with {@code overrides} set. */
  public K3sConfig with(Set<String> without, Map<String, String> overrides) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      if (!without.contains(k)) {
        copy.put(k, new ArrayList<>(v));
      }
    });
    overrides.forEach((k, v) -> copy.put(k, new ArrayList<>(List.of(v))));
    return new K3sConfig(copy, files);
  }

  /** One YAML document of the settings, as K3s would read them back. */
  public String toYaml() {
    ObjectNode root = Yaml.MAPPER.createObjectNode();
    values.forEach((k, v) -> {
      if (v.size() == 1) {
        root.put(k, v.get(0));
      } else {
        ArrayNode list = root.putArray(k);
        v.forEach(list::add);
      }
    });
    try {
      return Yaml.MAPPER.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
