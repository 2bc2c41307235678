package dev.k3sbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator process's environment: metrics port and leader election. */
class ProcessSettingsTest {

  @Test
  void defaultsServeOn8080AndElectALeaderInTheOperatorsNamespaceAsThePod() {
    ProcessSettings s = ProcessSettings.fromEnv(Map.of("POD_NAME", "op-7c9-abc",
        "HOSTNAME", "ignored"), "k3s-etcd-backup");

    assertThat(s.httpPort()).isEqualTo(8080);
    assertThat(s.leaderElection()).hasValueSatisfying(l -> {
      assertThat(l.lease()).isEqualTo("k3s-etcd-backup-leader");
      assertThat(l.namespace()).isEqualTo("k3s-etcd-backup");
      assertThat(l.identity()).isEqualTo("op-7c9-abc");
      assertThat(l.exitOnLoss()).as("a replica that lost the lease restarts").isTrue();
    });
  }

  @Test
  void theHostNameIsTheIdentityWithoutPodName() {
    assertThat(ProcessSettings.fromEnv(Map.of("HOSTNAME", "op-1"), "ns").leaderElection()
        .orElseThrow().identity()).isEqualTo("op-1");
  }

  @Test
  void leaderElectionCanBeTurnedOffAndThePortChanged() {
    ProcessSettings s = ProcessSettings.fromEnv(Map.of("LEADER_ELECTION", "false",
        "METRICS_PORT", "9102"), "ns");

    assertThat(s.leaderElection()).isEmpty();
    assertThat(s.httpPort()).isEqualTo(9102);
  }

  @Test
  void badValuesAreRefusedNamingTheVariable() {
    assertThatThrownBy(() -> ProcessSettings.fromEnv(Map.of("METRICS_PORT", "http"), "ns"))
        .hasMessageContaining("METRICS_PORT 'http' is not a port number");
    assertThatThrownBy(() -> ProcessSettings.fromEnv(Map.of("METRICS_PORT", "70000"), "ns"))
        .hasMessageContaining("METRICS_PORT");
    assertThatThrownBy(() -> ProcessSettings.fromEnv(Map.of("LEADER_ELECTION", "yes"), "ns"))
        .hasMessageContaining("LEADER_ELECTION 'yes' must be true or false");
    assertThatThrownBy(() -> ProcessSettings.fromEnv(Map.of("LEADER_ELECTION_LEASE", "Bad_Name"),
        "ns")).hasMessageContaining("LEADER_ELECTION_LEASE 'Bad_Name'");
  }
}
