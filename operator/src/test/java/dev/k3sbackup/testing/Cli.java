package dev.k3sbackup.testing;

import dev.k3sbackup.cli.CliContext;
import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.etcd.GrpcEtcdMember;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the real {@code etcd-snapshot} CLI in-process, with a chosen clock and environment. */
public final class Cli {

  private Clock clock = Clock.systemUTC();
  private final Map<String, String> env = new HashMap<>();

  public Cli at(Instant instant) {
    this.clock = Clock.fixed(instant, ZoneOffset.UTC);
    return this;
  }

  public Cli env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /**
   * The outcome of one run.
   *
   * @param exitCode what the process would exit with
   * @param out stdout
   * @param err stderr
   */
  public record Run(int exitCode, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  public Run run(String... args) {
    return run(List.of(args));
  }

  public Run run(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CliContext context = new CliContext(clock, Map.copyOf(env),
        r -> GrpcEtcdMember.connect(r.etcd(), r.etcdTimeout()), false,
        dev.k3sbackup.restore.RestoreContext.system());
    int code = EtcdSnapshotCommand.execute(context, args.toArray(String[]::new),
        new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  /** Builds an argument list from fixed parts and optional extras. */
  public static List<String> args(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all;
  }
}
