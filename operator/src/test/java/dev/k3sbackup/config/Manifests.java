package dev.k3sbackup.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The YAML documents of config/ and deploy/, read as JSON trees. */
final class Manifests {

  static final Path CONFIG = Path.of("../config");
  static final Path DEPLOY = Path.of("../deploy/k3s-etcd-backup.yaml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Manifests() {}

  /** Every non-empty document in {@code text}. */
  static List<JsonNode> documents(String text) {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(text)) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          docs.add(doc);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return docs;
  }

  static List<JsonNode> documents(Path file) {
    try {
      return documents(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The YAML files under {@code dir}, kustomization files included. */
  static List<Path> yamlFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The documents of kind {@code kind} in the files under {@code dir}. */
  static List<JsonNode> ofKind(Path dir, String kind) {
    return yamlFiles(dir).stream().flatMap(f -> documents(f).stream())
        .filter(d -> kind.equals(d.path("kind").asText())).toList();
  }

  static JsonNode named(Path dir, String kind, String name) {
    return ofKind(dir, kind).stream()
        .filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " under " + dir));
  }
}
