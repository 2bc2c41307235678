package dev.k3sbackup.cli;

import picocli.CommandLine.Option;

/** {@code -o table|json|yaml}, as every verb that prints a result takes it (a picocli mixin). */
public final class OutputOption {

  @Option(names = {"-o", "--output"}, defaultValue = "table",
      description = "Output: table, json or yaml (default: ${DEFAULT-VALUE})")
  OutputFormat format;

  /** Whether the human form was asked for. */
  public boolean table() {
    return format == OutputFormat.TABLE;
  }

  /** Renders {@code value} as JSON or YAML (not for the table form). */
  public String render(Object value) {
    return format.render(value);
  }
}
