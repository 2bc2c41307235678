package dev.k3sbackup.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/** Damages files the way a bad disk or a careless hand would, for the checks that must notice. */
public final class Tamper {

  private Tamper() {}

  /** Flips the lowest bit of the byte in the middle of {@code file}; its size stays. */
  public static void flipOneByte(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
  }
}
