package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A node's part in a restore. */
public enum RestoreRole {
  /** Resets from the snapshot (K3s's S1, or the only server). */
  SERVER("server"),
  /** Stops, moves its data aside and rejoins the reset server (S2, S3). */
  PEER("peer");

  private final String id;

  RestoreRole(String id) {
    this.id = id;
  }

  /** The name in journals, reports and status: {@code server} or {@code peer}. */
  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static RestoreRole of(String id) {
    for (RestoreRole r : values()) {
      if (r.id.equals(id)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no restore role " + id);
  }

  @Override
  public String toString() {
    return id;
  }
}
