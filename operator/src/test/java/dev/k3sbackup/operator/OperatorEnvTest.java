package dev.k3sbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator's own namespace by default; widening is explicit; bad settings are named. */
class OperatorEnvTest {

  @Test
  void actsOnlyInItsOwnNamespaceUnlessWidened() {
    assertThat(OperatorMain.watchNamespaces(Map.of(), "k3s-etcd-backup"))
        .containsExactly("k3s-etcd-backup");
    assertThat(OperatorMain.watchNamespaces(Map.of("WATCH_NAMESPACES", "team-a, team-b"),
        "k3s-etcd-backup")).containsExactlyInAnyOrder("k3s-etcd-backup", "team-a", "team-b");
    assertThat(OperatorMain.watchNamespaces(Map.of("WATCH_NAMESPACES", "*"), "k3s-etcd-backup"))
        .as("every namespace").isEmpty();
  }

  @Test
  void refusesSettingsThatCannotBeNamingTheVariable() {
    assertThatThrownBy(() -> OperatorMain.watchNamespaces(Map.of("WATCH_NAMESPACES",
        "Team_A"), "k3s-etcd-backup")).hasMessageContaining("WATCH_NAMESPACES entry 'Team_A'");
    assertThatThrownBy(() -> OperatorMain.count(Map.of("SAFETY_SNAPSHOTS_KEPT", "0"),
        "SAFETY_SNAPSHOTS_KEPT", 3)).hasMessageContaining("SAFETY_SNAPSHOTS_KEPT '0' must be "
        + "a number from 1 to 100");
    assertThatThrownBy(() -> OperatorMain.count(Map.of("OLD_DATA_KEPT", "many"),
        "OLD_DATA_KEPT", 2)).hasMessageContaining("OLD_DATA_KEPT 'many'");
    assertThat(OperatorMain.count(Map.of(), "OLD_DATA_KEPT", 2)).isEqualTo(2);
  }
}
