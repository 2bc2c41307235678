package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * Names one restore across the Job boundary and the etcd rollback: {@code restore-<uid>} of its
 * EtcdRestore, which also names its journal file on each node.
 *
 * @param value the id as the agents and journals carry it
 */
public record RestoreId(String value) {

  private static final String PREFIX = "restore-";

  public RestoreId {
    if (value == null || !value.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException("a restore id is letters, digits and '-', not " + value);
    }
  }

  /** The id of the EtcdRestore with this uid. */
  public static RestoreId ofUid(String uid) {
    return new RestoreId(PREFIX + uid);
  }

  /** The id as read from a journal: JSON, a flag or a file name. */
  @JsonCreator
  public static RestoreId of(String value) {
    return new RestoreId(value);
  }

  /** The uid of the EtcdRestore it names; empty for a manual run's id. */
  public Optional<String> uid() {
    return value.startsWith(PREFIX) && value.length() > PREFIX.length()
        ? Optional.of(value.substring(PREFIX.length())) : Optional.empty();
  }

  /** Its journal's file name on a node. */
  public String journalFile() {
    return value + ".json";
  }

  @JsonValue
  @Override
  public String toString() {
    return value;
  }
}
