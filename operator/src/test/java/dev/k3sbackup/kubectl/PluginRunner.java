package dev.k3sbackup.kubectl;

import dev.k3sbackup.testing.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the real kubectl plugin in-process against the test API server: the kubeconfig and
 * namespace flags come first, as a user's shell would give them.
 */
final class PluginRunner {

  private final Clock clock;
  private final Path kubeconfig;
  private final String namespace;

  PluginRunner(Clock clock, Path kubeconfig, String namespace) {
    this.clock = clock;
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
  }

  Cli.Run run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--kubeconfig", kubeconfig.toString(), "-n", namespace));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = PluginCommand.commandLine(new PluginContext(clock, false, Duration.ofMillis(100)));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(all.toArray(String[]::new));
    return new Cli.Run(code, out.toString(), err.toString());
  }
}
