package dev.k3sbackup.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The operator's log in JSON while it takes a real snapshot to S3 with keys from a Secret:
 * every line parses, every reconcile line names its resource, and the keys appear nowhere, even
 * with our code and JOSDK at DEBUG.
 */
class JsonLogIT {

  private static final String NS = OperatorHarness.NAMESPACE;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Level> LEVELS = Map.of("dev.k3sbackup", Level.DEBUG,
      "io.javaoperatorsdk", Level.DEBUG, "io.fabric8", Level.INFO);

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private final Map<String, Level> before = new java.util.HashMap<>();
  private OutputStreamAppender<ILoggingEvent> appender;
  private EtcdProcess etcd;
  private OperatorHarness cluster;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    JsonLineEncoder encoder = new JsonLineEncoder();
    encoder.setContext(context);
    encoder.start();
    appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setName("json-capture");
    appender.setEncoder(encoder);
    appender.setOutputStream(captured);
    appender.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
    LEVELS.forEach((name, level) -> {
      before.put(name, context.getLogger(name).getLevel());
      context.getLogger(name).setLevel(level);
    });

    s3 = new S3Fixture(S3_SERVER.getUri()).bucket("backups");
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/secrets/default/app", "cluster data");
    cluster = new OperatorHarness(new MutableClock(Instant.now()));
    cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    cluster.startOperator();
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
    appender.stop();
    before.forEach((name, level) -> context.getLogger(name).setLevel(level));
  }

  private List<JsonNode> lines() throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    String text;
    synchronized (captured) {
      text = captured.toString(StandardCharsets.UTF_8);
    }
    for (String line : text.split("\n")) {
      JsonNode node = JSON.readTree(line);
      assertThat(node.isObject()).as(line).isTrue();
      lines.add(node);
    }
    return lines;
  }

  @Test
  void everyLineIsJsonReconcileLinesNameTheirResourceAndTheKeysNeverAppear() throws Exception {
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.s3 = s3.storage("backups", "k3s", "s3-keys");
    EtcdSnapshot snapshot = new EtcdSnapshot();
    snapshot.getMetadata().setName("offsite");
    snapshot.getMetadata().setNamespace(NS);
    snapshot.setSpec(spec);
    cluster.client().resource(snapshot).create();
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
      EtcdSnapshot s = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName("offsite").get();
      return s.getStatus() != null && s.getStatus().phase == SnapshotPhase.Succeeded;
    });
    cluster.stopOperator();

    String all = captured.toString(StandardCharsets.UTF_8);
    List<JsonNode> lines = lines();
    assertThat(lines).as("lines logged").hasSizeGreaterThan(10);
    for (JsonNode line : lines) {
      assertThat(line.fieldNames()).toIterable()
          .contains("time", "level", "logger", "message", "thread");
    }
    List<JsonNode> reconciler = lines.stream().filter(l -> l.path("logger").asText()
        .equals("dev.k3sbackup.reconciler.EtcdSnapshotReconciler")).toList();
    assertThat(reconciler).as("the snapshot reconciler's lines").isNotEmpty();
    for (JsonNode line : reconciler) {
      assertThat(line.path("resource.kind").asText()).as(line.toString())
          .isEqualTo("EtcdSnapshot");
      assertThat(line.path("resource.name").asText()).isEqualTo("offsite");
      assertThat(line.path("resource.namespace").asText()).isEqualTo(NS);
    }
    assertThat(lines).as("JOSDK's own reconcile lines name the resource too")
        .anySatisfy(l -> {
          assertThat(l.path("logger").asText()).startsWith("io.javaoperatorsdk");
          assertThat(l.path("resource.name").asText()).isEqualTo("offsite");
        });
    for (String secret : List.of(S3Fixture.SECRET_KEY, S3Fixture.ACCESS_KEY)) {
      assertThat(all).doesNotContain(secret)
          .doesNotContain(Base64.getEncoder().encodeToString(secret.getBytes(
              StandardCharsets.UTF_8)));
    }
  }
}
