package dev.k3sbackup.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.Processes;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code scripts/try-it.sh}, the README's demo without a cluster, runs to the end and exits 0. */
class TryItScriptIT {

  @Test
  void theDemoRunsToEtcdsOwnJudgeAndExitsZero() {
    Path repo = Path.of("..").toAbsolutePath().normalize();

    Processes.Result r = Processes.run(List.of("bash", "scripts/try-it.sh"), Map.of(), repo);

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("etcd-snapshot prune", "OK etcd-snapshot-demo-",
        "etcd's own judge: etcdctl snapshot status", "TOTAL KEYS");
  }
}
