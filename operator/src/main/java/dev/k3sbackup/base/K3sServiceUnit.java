package dev.k3sbackup.base;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * K3s's systemd unit as its install script writes it ({@code /etc/systemd/system/k3s.service}):
 * the command line of {@code ExecStart=} (continued over {@code \}-ended lines, arguments in
 * single or double quotes), the {@code Environment=} settings and the {@code EnvironmentFile=}s
 * ({@code k3s.service.env}, where {@code K3S_CONFIG_FILE} may name another config file).
 *
 * @param commandLine ExecStart's words, the program first
 * @param environment Environment= settings
 * @param environmentFiles EnvironmentFile= paths (a leading {@code -}, "may be missing", removed)
 */
public record K3sServiceUnit(List<String> commandLine, Map<String, String> environment,
    List<String> environmentFiles) {

  /** Where K3s's install script puts the server's unit. */
  public static final String DEFAULT_FILE = "/etc/systemd/system/k3s.service";

  /** Reads a unit file's text. */
  public static K3sServiceUnit parse(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (current.isEmpty() && (line.startsWith("#") || line.startsWith(";"))) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      lines.add(current.toString());
      current.setLength(0);
    }
    if (!current.isEmpty()) {
      lines.add(current.toString());
    }
    List<String> command = List.of();
    Map<String, String> env = new LinkedHashMap<>();
    List<String> files = new ArrayList<>();
    for (String line : lines) {
      int eq = line.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      switch (key) {
        case "ExecStart" -> command = words(value.replaceFirst("^[-@+!:]+", ""));
        case "Environment" -> {
          for (String setting : words(value)) {
            int e = setting.indexOf('=');
            if (e > 0) {
              env.put(setting.substring(0, e), setting.substring(e + 1));
            }
          }
        }
        case "EnvironmentFile" -> files.add(value.replaceFirst("^-", ""));
        default -> { }
      }
    }
    return new K3sServiceUnit(command, env, files);
  }

  /** An environment file's {@code KEY=value} lines (quotes removed, comments skipped). */
  public static Map<String, String> parseEnvironmentFile(String text) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("export ")) {
        line = line.substring(7).strip();
      }
      int e = line.indexOf('=');
      if (e > 0) {
        List<String> value = words(line.substring(e + 1));
        env.put(line.substring(0, e).strip(), value.isEmpty() ? "" : String.join(" ", value));
      }
    }
    return env;
  }

  /** Splits a command line as systemd and sh do for the simple cases: quotes group words. */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
          word.append(line.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else if (c == '\\' && i + 1 < line.length()) {
        word.append(line.charAt(++i));
        inWord = true;
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
