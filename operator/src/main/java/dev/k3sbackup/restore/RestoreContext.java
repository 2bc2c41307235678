package dev.k3sbackup.restore;

import dev.k3sbackup.base.K3sLayout;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Function;

/**
 * What the restore agent takes from its surroundings.
 *
 * @param clock the time
 * @param hosts the node host for a node's settings: the real one runs commands in the host's
 *     context
 * @param env environment variables (the agents' token)
 * @param preparers the preparer of the file a reset gets, for K3s's layout and the revision
 *     before the restore: the real one bumps the revision ({@link RevisionBump})
 */
public record RestoreContext(Clock clock, Function<HostSettings, NodeHost> hosts,
    java.util.Map<String, String> env,
    java.util.function.BiFunction<K3sLayout, java.util.OptionalLong, SnapshotPreparer> preparers) {

  /** With the process's environment, resetting from the snapshot as it is (tests of steps). */
  public RestoreContext(Clock clock, Function<HostSettings, NodeHost> hosts) {
    this(clock, hosts, System.getenv());
  }

  /** Resetting from the snapshot as it is (tests of the steps, with fake hosts). */
  public RestoreContext(Clock clock, Function<HostSettings, NodeHost> hosts,
      java.util.Map<String, String> env) {
    this(clock, hosts, env, (k3s, before) -> SnapshotPreparer.AS_IS);
  }

  /**
   * What the agent is told about its node.
   *
   * @param k3s K3s's layout on the node
   * @param configFile K3s's config file, as the agent sees it
   * @param serviceManager {@code systemd}, {@code openrc} or {@code auto}
   * @param serviceName the unit or service that runs K3s
   */
  public record HostSettings(K3sLayout k3s, Path configFile, String serviceManager,
      String serviceName) {}

  public static RestoreContext system() {
    Clock clock = Clock.systemUTC();
    return new RestoreContext(clock, s -> new K3sHost(HostCommands.host(), s.k3s(),
        s.configFile(), s.serviceManager(), s.serviceName(), clock, K3sHost.Timeouts.DEFAULT,
        ProcessTable.of(Path.of("/proc"))), System.getenv(),
        // the copy goes next to the journals: on K3s's disk, outside its snapshot dir
        (k3s, before) -> SnapshotPreparer.revisionBump(new RevisionBump(),
            k3s.journalDir().resolve("bump"), before));
  }
}
