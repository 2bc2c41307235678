package dev.k3sbackup.retention;

/**
 * What retention decided about one copy, and which rule decided it.
 *
 * @param copy the copy
 * @param reason why it is kept or deleted
 * @param <S> the caller's snapshot type
 */
public record Decision<S>(Copy<S> copy, Reason reason) {

  public boolean kept() {
    return reason.keeps();
  }
}
