package dev.k3sbackup.restore;

/** A restore step failed; the message says what the host answered. */
public class RestoreException extends RuntimeException {
  public RestoreException(String message) {
    super(message);
  }
}
