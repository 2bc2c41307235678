package dev.k3sbackup.encryption;

import dev.k3sbackup.base.SnapshotException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** age's key file format: one key a line; blank lines and lines starting with {@code #} skipped. */
final class AgeKeyFile {

  private AgeKeyFile() {}

  static String read(Path file, String source) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw SnapshotException.badInput(source + " cannot be read ("
          + e.getClass().getSimpleName() + "): give a readable file");
    }
  }

  /**
   * The keys in {@code text}; refuses a text without any.
   *
   * @param source where the text came from, for messages
   * @param what what a key is, e.g. "age recipient: give ..."
   */
  static List<String> requireKeys(String text, String source, String what) {
    List<String> keys = lines(text);
    if (keys.isEmpty()) {
      throw SnapshotException.badInput(source + " holds no " + what);
    }
    return keys;
  }

  static List<String> lines(String text) {
    List<String> keys = new ArrayList<>();
    for (String line : text.split("\\R")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        keys.add(l);
      }
    }
    return keys;
  }
}
