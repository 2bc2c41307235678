package dev.k3sbackup.snapshot;

/** Told how a long transfer goes; implementations decide how often to show it. */
public interface ProgressListener {

  ProgressListener NONE = new ProgressListener() {};

  /** The phase starts; {@code expectedBytes} is -1 when unknown. */
  default void start(String phase, long expectedBytes) {}

  /** {@code bytesDone} so far in the current phase. */
  default void advance(long bytesDone) {}

  /** The phase is over. */
  default void done() {}

  /** Tells both listeners. */
  static ProgressListener both(ProgressListener a, ProgressListener b) {
    return new ProgressListener() {
      @Override
      public void start(String phase, long expectedBytes) {
        a.start(phase, expectedBytes);
        b.start(phase, expectedBytes);
      }

      @Override
      public void advance(long bytesDone) {
        a.advance(bytesDone);
        b.advance(bytesDone);
      }

      @Override
      public void done() {
        a.done();
        b.done();
      }
    };
  }
}
