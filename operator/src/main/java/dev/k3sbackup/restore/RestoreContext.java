package dev.k3sbackup.restore;

import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Function;

/**
 * What the restore agent takes from its surroundings.
 *
 * @param clock the time
 * @param hosts the node host for a K3s data dir: the real one enters the host's namespaces
 */
public record RestoreContext(Clock clock, Function<Path, NodeHost> hosts) {

  public static RestoreContext system() {
    Clock clock = Clock.systemUTC();
    return new RestoreContext(clock, dataDir -> new K3sHost(K3sHost.NSENTER, dataDir, "k3s",
        clock));
  }
}
