package dev.k3sbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.k3sbackup.testing.Cli;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Every verb of K3s's {@code etcd-snapshot} takes K3s's whole flag set (K3s v1.34's
 * {@code EtcdSnapshotFlags}, every name and alias), as {@code k3s etcd-snapshot} does.
 */
class K3sFlagSetTest {

  /** Each of K3s's flags (every name and alias) with a value it accepts. */
  static List<String> k3sCommandLine() {
    List<String> args = new ArrayList<>();
    Map<String, String> values = Map.ofEntries(
        Map.entry("config", "/nonexistent/config.yaml"), Map.entry("log", "/tmp/x.log"),
        Map.entry("node-name", "server-1"), Map.entry("data-dir", "/var/lib/rancher/k3s"),
        Map.entry("etcd-token", "K10abc::server:secret"),
        Map.entry("etcd-server", "https://127.0.0.1:6443"),
        Map.entry("dir", "/var/lib/rancher/k3s/server/db/snapshots"),
        Map.entry("name", "on-demand"), Map.entry("snapshot-retention", "5"),
        Map.entry("s3-endpoint", "s3.amazonaws.com"), Map.entry("s3-endpoint-ca", "/ca.pem"),
        Map.entry("s3-access-key", "AKIA"), Map.entry("s3-secret-key", "secret"),
        Map.entry("s3-session-token", "token"), Map.entry("s3-bucket", "backups"),
        Map.entry("s3-bucket-lookup-type", "path"), Map.entry("s3-region", "us-east-1"),
        Map.entry("s3-retention", "5"), Map.entry("s3-folder", "k3s"),
        Map.entry("s3-proxy", "none"), Map.entry("s3-config-secret", "k3s-etcd-s3"),
        Map.entry("s3-timeout", "5m"));
    for (List<String> flag : K3sFlagDefaults.K3S_FLAGS) {
      String value = values.get(flag.get(0));
      for (String name : flag) {
        args.add((name.length() == 1 ? "-" : "--") + name);
        if (value != null) {
          args.add(value);
        }
      }
    }
    return args;
  }

  @ParameterizedTest
  @ValueSource(strings = {"save", "delete", "ls", "list", "l", "prune"})
  void everyVerbParsesK3sWholeFlagSet(String verb) {
    List<String> args = new ArrayList<>(List.of(verb));
    args.addAll(k3sCommandLine());
    if (verb.equals("delete")) {
      args.add("on-demand-server-1-1700000000");
    }
    if (verb.startsWith("l")) {
      args.addAll(List.of("-o", "json")); // K3s's ls adds --output/-o
    }

    assertThatCode(() -> EtcdSnapshotCommand.commandLine(null)
        .parseArgs(args.toArray(String[]::new))).doesNotThrowAnyException();
  }

  @Test
  void theFlagSetListsEveryNameOfK3sV134() {
    assertThat(K3sFlagDefaults.K3S_FLAGS.stream().mapToInt(List::size).sum()).isEqualTo(52);
  }

  @Test
  void anS3ConfigSecretIsRefusedNamingTheFlagAndTheWayAround() {
    Cli.Run run = new Cli().run("prune", "--s3-config-secret", "k3s-etcd-s3");

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains("--s3-config-secret is not supported")
        .contains("--s3-* flags");
  }

  @Test
  void anotherServersSupervisorIsRefusedThisNodesIsTaken() {
    Cli.Run remote = new Cli().run("ls", "--etcd-server", "https://10.0.0.2:6443", "--dir",
        "/nonexistent");

    assertThat(remote.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(remote.err()).contains("--etcd-server https://10.0.0.2:6443 names another server")
        .contains("run it on that server");
  }

  @Test
  void aBucketLookupTypeK3sDoesNotKnowIsRefused() {
    Cli.Run run = new Cli().run("ls", "--s3", "--s3-bucket", "backups",
        "--s3-bucket-lookup-type", "virtual");

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_BAD_INPUT);
    assertThat(run.err()).contains("--s3-bucket-lookup-type 'virtual'")
        .contains("auto, dns or path");
  }
}
