package dev.k3sbackup.restore;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How K3s is run on a node, so that a restore stops and starts it the way the node's admin
 * would: a systemd unit ({@code systemctl stop k3s}, K3s's installer), or an OpenRC service
 * ({@code rc-service k3s stop}, Alpine). Told, or found on the node: systemd when it is the
 * node's init, else OpenRC when {@code rc-service} is there; the unit is {@code k3s} unless
 * told otherwise (K3s's installer names it so; {@code k3s-agent} is an agent's, never a
 * server's).
 *
 * @param manager {@code systemd} or {@code openrc}
 * @param unit the unit or service name
 */
record K3sService(String manager, String unit) {

  static final String SYSTEMD = "systemd";
  static final String OPENRC = "openrc";
  static final String AUTO = "auto";

  /** What finds the init system on the host: its answer is one word. */
  static final List<String> DETECT = List.of("sh", "-c",
      "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd; "
          + "elif command -v rc-service >/dev/null 2>&1; then echo openrc; else echo unknown; fi");

  /**
   * The service as {@code manager} and {@code unit} say ({@code auto} and null: found on the
   * host through {@code host}).
   */
  static K3sService of(String manager, String unit, HostCommands host) {
    String m = manager == null || manager.isBlank() ? AUTO : manager.toLowerCase(Locale.ROOT);
    if (m.equals(AUTO)) {
      m = detected(host.runOk("finding how K3s is run (systemd or OpenRC)", DETECT, Map.of(),
          Duration.ofSeconds(30)));
    }
    if (!m.equals(SYSTEMD) && !m.equals(OPENRC)) {
      throw new RestoreException("--service-manager '" + manager + "' is not known: give "
          + "systemd, openrc or auto");
    }
    return new K3sService(m, unit == null || unit.isBlank() ? "k3s" : unit);
  }

  /** The init system that {@link #DETECT} printed, or a refusal that says what to do. */
  static String detected(String output) {
    String answer = output.strip();
    if (answer.equals(SYSTEMD) || answer.equals(OPENRC)) {
      return answer;
    }
    throw new RestoreException("cannot tell how K3s is run on this node: neither systemd (no "
        + "/run/systemd/system) nor OpenRC (no rc-service) was found; nothing was stopped. "
        + "Restoring needs K3s under a service manager (or give the agent --service-manager)");
  }

  List<String> stop() {
    return command("stop");
  }

  List<String> start() {
    return command("start");
  }

  private List<String> command(String verb) {
    return manager.equals(SYSTEMD) ? List.of("systemctl", verb, unit)
        : List.of("rc-service", unit, verb);
  }

  @Override
  public String toString() {
    return manager + " " + unit;
  }
}
