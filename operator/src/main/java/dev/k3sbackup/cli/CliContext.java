package dev.k3sbackup.cli;

import dev.k3sbackup.etcd.EtcdMember;
import dev.k3sbackup.etcd.GrpcEtcdMember;
import dev.k3sbackup.restore.RestoreContext;
import dev.k3sbackup.snapshot.SaveRequest;
import java.time.Clock;
import java.util.Map;
import java.util.function.Function;

/**
 * What the CLI takes from its surroundings, so that tests can run it in-process with their own
 * clock and environment.
 *
 * @param clock the time snapshots are named after
 * @param env environment variables (AWS_ACCESS_KEY_ID and friends)
 * @param etcd opens the etcd connection a save streams from
 * @param terminal whether a person is watching stderr (then progress is shown)
 * @param restore what the restore agent acts on (the host's K3s)
 */
public record CliContext(Clock clock, Map<String, String> env,
    Function<SaveRequest, EtcdMember> etcd, boolean terminal, RestoreContext restore) {

  /** The real thing: system clock, process environment, our gRPC client, the host's K3s. */
  public static CliContext system() {
    return new CliContext(Clock.systemUTC(), System.getenv(),
        r -> GrpcEtcdMember.connect(r.etcd(), r.etcdTimeout()), System.console() != null,
        RestoreContext.system());
  }
}
