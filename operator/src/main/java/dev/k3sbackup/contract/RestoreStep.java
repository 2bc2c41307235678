package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;

/**
 * The steps of a node's part in a restore, by the names the journals, the agents' status
 * servers, the reports and {@code status.nodes} use.
 */
public enum RestoreStep {
  /** Server: the snapshot file is there and verifies (trailer, recorded sha256). */
  VERIFY("verify"),
  /**
   * Server: the file the reset gets is made (a copy with its revision bumped and marked
   * compacted), before anything stops.
   */
  PREPARE("prepare"),
  /** HA server: every peer's agent answers before anything is stopped. */
  AWAIT_PEERS_READY("await-peers-ready"),
  /** K3s (and with it etcd) stops on this node. */
  STOP("stop"),
  /** Server: {@code k3s server --cluster-reset --cluster-reset-restore-path}. */
  RESET("reset"),
  /** HA server: every peer has stopped and moved its data aside. */
  AWAIT_PEERS("await-peers"),
  /** K3s starts on this node (a peer's rejoins the reset cluster). */
  START("start"),
  /** HA server: every peer has rejoined. */
  AWAIT_REJOIN("await-rejoin"),
  /** Peer (journals of older agents): the server had verified the snapshot. */
  AWAIT_VERIFY("await-verify"),
  /**
   * Peer: the server's reset has succeeded (the peers keep serving until then, and are never
   * touched when it fails).
   */
  AWAIT_RESET("await-reset"),
  /** Peer: {@code server/db} is moved aside. */
  WIPE("wipe"),
  /** Peer: the server has started from the snapshot (its K3s answers). */
  AWAIT_SERVER("await-server");

  /** A single-server restore, in order. */
  public static final List<RestoreStep> SINGLE_SERVER = List.of(VERIFY, PREPARE, STOP, RESET,
      START);
  /** The restoring server of an HA restore, in order. */
  public static final List<RestoreStep> HA_SERVER = List.of(VERIFY, PREPARE, AWAIT_PEERS_READY,
      STOP, RESET, AWAIT_PEERS, START, AWAIT_REJOIN);
  /** A peer of an HA restore, in order. */
  public static final List<RestoreStep> PEER = List.of(AWAIT_RESET, STOP, WIPE, AWAIT_SERVER,
      START);

  private final String id;

  RestoreStep(String id) {
    this.id = id;
  }

  /** The steps of {@code role}, with peers or without. */
  public static List<RestoreStep> of(RestoreRole role, boolean withPeers) {
    return role == RestoreRole.PEER ? PEER : withPeers ? HA_SERVER : SINGLE_SERVER;
  }

  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static RestoreStep of(String id) {
    for (RestoreStep s : values()) {
      if (s.id.equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no restore step " + id);
  }

  @Override
  public String toString() {
    return id;
  }
}
