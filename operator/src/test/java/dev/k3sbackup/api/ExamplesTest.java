package dev.k3sbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.validation.CronSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every sample resource in examples/ and the default schedule in config/ read into the API
 * classes with unknown fields refused, and their schedules parse and fire.
 */
class ExamplesTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static List<JsonNode> documents(Path file) throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        docs.add(it.next());
      }
    }
    return docs;
  }

  @Test
  void samplesMatchTheApiClasses() throws Exception {
    List<Path> files = new ArrayList<>(List.of(Path.of("../config/default-schedule/default-schedule.yaml")));
    try (Stream<Path> examples = Files.list(Path.of("../examples"))) {
      files.addAll(examples.filter(p -> p.toString().endsWith(".yaml")).sorted().toList());
    }
    int checked = 0;
    for (Path file : files) {
      for (JsonNode doc : documents(file)) {
        switch (doc.path("kind").asText()) {
          case "EtcdSnapshot" -> {
            EtcdSnapshot s = YAML.treeToValue(doc, EtcdSnapshot.class);
            assertThat(s.getSpec()).as(file.toString()).isNotNull();
            checked++;
          }
          case "EtcdSnapshotSchedule" -> {
            EtcdSnapshotSchedule s = YAML.treeToValue(doc, EtcdSnapshotSchedule.class);
            var parsed = CronSchedule.parse(s.getSpec().scheduleOrDefault(), s.getSpec().timeZone,
                Instant.now());
            assertThat(parsed.problem()).as(file + ": " + parsed.problem()).isNull();
            checked++;
          }
          case "EtcdRestore" -> {
            var r = YAML.treeToValue(doc, dev.k3sbackup.api.v1alpha1.EtcdRestore.class);
            assertThat(r.getSpec().dryRun() || r.getSpec().confirmed()).as(file.toString())
                .isTrue();
            checked++;
          }
          default -> { }
        }
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(6);
  }
}
