package dev.k3sbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every custom resource in examples/ and config/ checked against the openAPIV3Schema of the
 * committed CRD in crds/, as the API server would: types, enums, required fields, bounds, and
 * (stricter than the API server, which would silently drop them) no unknown fields.
 */
class ExamplesMatchCrdSchemasTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<JsonNode> documents(Path file) throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  /** kind to the schema of its (only) served version. */
  private static Map<String, JsonNode> schemas() throws Exception {
    Map<String, JsonNode> byKind = new HashMap<>();
    try (Stream<Path> crds = Files.list(Path.of("../crds"))) {
      for (Path crd : crds.filter(p -> p.toString().endsWith(".yml")).toList()) {
        JsonNode doc = documents(crd).get(0);
        byKind.put(doc.path("spec").path("names").path("kind").asText(),
            doc.path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema"));
      }
    }
    return byKind;
  }

  /** What is wrong with a whole resource: its spec against the schema, nothing else at the top. */
  static List<String> resourceProblems(String kind, JsonNode doc, JsonNode schema) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = doc.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!List.of("apiVersion", "kind", "metadata", "spec").contains(field)) {
        out.add(kind + ": unknown field " + field);
      }
    }
    if (schema.path("required").toString().contains("\"spec\"") && !doc.has("spec")) {
      out.add(kind + ": the required field spec is missing");
    }
    if (doc.has("spec")) {
      out.addAll(problems(kind + ".spec", doc.get("spec"), schema.path("properties")
          .path("spec")));
    }
    return out;
  }

  /** What is wrong with {@code value} against {@code schema}, one line per problem. */
  static List<String> problems(String path, JsonNode value, JsonNode schema) {
    List<String> out = new ArrayList<>();
    String type = schema.path("type").asText("");
    boolean typed = switch (type) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      default -> true;
    };
    if (!typed) {
      out.add(path + ": expected " + type + ", got " + value.getNodeType());
      return out;
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode e : schema.get("enum")) {
        listed |= e.equals(value);
      }
      if (!listed) {
        out.add(path + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
    if (schema.has("minimum") && value.isNumber()
        && value.asDouble() < schema.get("minimum").asDouble()) {
      out.add(path + ": " + value + " is below the minimum " + schema.get("minimum"));
    }
    if (schema.has("maximum") && value.isNumber()
        && value.asDouble() > schema.get("maximum").asDouble()) {
      out.add(path + ": " + value + " is above the maximum " + schema.get("maximum"));
    }
    if (schema.has("pattern") && value.isTextual()
        && !java.util.regex.Pattern.compile(schema.get("pattern").asText())
            .matcher(value.asText()).find()) {
      out.add(path + ": " + value + " does not match " + schema.get("pattern"));
    }
    if (value.isObject()) {
      for (JsonNode required : schema.path("required")) {
        if (!value.has(required.asText())) {
          out.add(path + ": the required field " + required.asText() + " is missing");
        }
      }
      JsonNode properties = schema.path("properties");
      boolean open = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
          || schema.has("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        var field = it.next();
        if (properties.has(field.getKey())) {
          out.addAll(problems(path + "." + field.getKey(), field.getValue(),
              properties.get(field.getKey())));
        } else if (schema.has("additionalProperties")
            && schema.get("additionalProperties").isObject()) {
          out.addAll(problems(path + "." + field.getKey(), field.getValue(),
              schema.get("additionalProperties")));
        } else if (!open) {
          out.add(path + ": unknown field " + field.getKey());
        }
      }
    }
    if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        out.addAll(problems(path + "[" + i + "]", value.get(i), schema.path("items")));
      }
    }
    return out;
  }

  @Test
  void everySampleResourceIsValidAgainstItsCrdSchema() throws Exception {
    Map<String, JsonNode> schemas = schemas();
    assertThat(schemas).containsKeys("EtcdSnapshot", "EtcdSnapshotSchedule", "EtcdRestore");
    List<Path> files = new ArrayList<>(List.of(Path.of("../config/default-schedule/default-schedule.yaml")));
    try (Stream<Path> examples = Files.list(Path.of("../examples"))) {
      files.addAll(examples.filter(p -> p.toString().endsWith(".yaml")).sorted().toList());
    }
    Map<String, Integer> checked = new HashMap<>();
    for (Path file : files) {
      for (JsonNode doc : documents(file)) {
        String kind = doc.path("kind").asText();
        JsonNode schema = schemas.get(kind);
        if (schema == null) {
          continue;
        }
        assertThat(doc.path("apiVersion").asText()).as(file.toString())
            .isEqualTo("k3sbackup.dev/v1alpha1");
        assertThat(resourceProblems(kind, doc, schema)).as(file.toString()).isEmpty();
        checked.merge(kind, 1, Integer::sum);
      }
    }
    assertThat(checked.get("EtcdRestore")).isGreaterThanOrEqualTo(3);
    assertThat(checked.get("EtcdSnapshot")).isGreaterThanOrEqualTo(1);
    assertThat(checked.get("EtcdSnapshotSchedule")).isGreaterThanOrEqualTo(3);
  }

  @Test
  void theCheckCatchesWhatTheApiServerWouldRefuseOrDrop() throws Exception {
    JsonNode schema = schemas().get("EtcdSnapshotSchedule");
    JsonNode bad = YAML.readTree("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshotSchedule
        metadata: {name: x}
        spec:
          schedule: 5
          retention: 0
          nodeSelection: Sometimes
          snapshotTemplate: {namePrefx: typo}
        """);
    assertThat(resourceProblems("EtcdSnapshotSchedule", bad, schema))
        .anyMatch(p -> p.contains("spec.schedule: expected string"))
        .anyMatch(p -> p.contains("spec.retention: 0 is below the minimum"))
        .anyMatch(p -> p.contains("spec.nodeSelection: \"Sometimes\" is not one of"))
        .anyMatch(p -> p.contains("spec.snapshotTemplate: unknown field namePrefx"));
  }
}
