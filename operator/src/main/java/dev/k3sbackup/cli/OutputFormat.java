package dev.k3sbackup.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.ArrayList;
import java.util.List;

/** {@code -o table|json|yaml}. */
public enum OutputFormat {
  TABLE,
  JSON,
  YAML;

  /** Built on first use: a save printed as a table never pays for Jackson's start-up. */
  private static final class Mappers {
    static final ObjectMapper JSON = configure(new ObjectMapper());
    static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()
        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)));

    private static ObjectMapper configure(ObjectMapper m) {
      return m.registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT);
    }
  }

  /** Renders {@code value} as JSON or YAML (not for TABLE). */
  public String render(Object value) {
    try {
      return switch (this) {
        case JSON -> Mappers.JSON.writeValueAsString(value) + "\n";
        case YAML -> Mappers.YAML.writeValueAsString(value);
        case TABLE -> throw new IllegalStateException("tables are rendered by the command");
      };
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Aligns rows like Go's tabwriter with padding 1, as {@code k3s etcd-snapshot ls} prints. */
  public static String table(List<String> header, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    return columns(all);
  }

  /** Aligns rows (all of the same length) into columns separated by at least one space. */
  public static String columns(List<List<String>> rows) {
    if (rows.isEmpty()) {
      return "";
    }
    int[] width = new int[rows.get(0).size()];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        out.append(row.get(i));
        if (i < row.size() - 1) {
          out.append(" ".repeat(width[i] - row.get(i).length() + 1));
        }
      }
      out.append('\n');
    }
    return out.toString();
  }
}
