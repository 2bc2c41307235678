package dev.k3sbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed crds/ must be exactly what the api classes generate (target/crds). */
class CrdsUpToDateTest {

  private static final Path GENERATED = Path.of("target/crds");
  private static final Path COMMITTED = Path.of("../crds");

  private static List<String> yamlFiles(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted()
          .toList();
    }
  }

  @Test
  void committedCrdsMatchTheJavaClasses() throws Exception {
    String fix = ": run scripts/update-crds.sh and commit crds/";
    assertThat(yamlFiles(COMMITTED)).as("CRD files in crds/" + fix)
        .isEqualTo(yamlFiles(GENERATED));
    for (String name : yamlFiles(GENERATED)) {
      assertThat(Files.readString(COMMITTED.resolve(name))).as("crds/" + name + fix)
          .isEqualTo(Files.readString(GENERATED.resolve(name)));
    }
  }
}
