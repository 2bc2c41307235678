package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Consumer;

/** Shows a restore's phase transitions (its {@code status.history}) on stderr as they come. */
final class RestoreProgress implements Consumer<EtcdRestore> {

  private final PrintWriter err;
  private int shown;
  private String uid;
  private boolean goneSaid;

  RestoreProgress(PrintWriter err) {
    this.err = err;
  }

  @Override
  public void accept(EtcdRestore r) {
    if (r == null) {
      if (uid != null && !goneSaid) {
        goneSaid = true;
        err.println("the EtcdRestore is gone: the cluster now holds the snapshot's state, in "
            + "which it did not exist yet; waiting for the operator to recreate it from the "
            + "nodes' restore journals");
        err.flush();
      }
      return;
    }
    if (uid != null && !uid.equals(r.getMetadata().getUid())) {
      shown = 0; // recreated: its own history
      err.println("etcdrestore/" + r.getMetadata().getName() + " recreated from the nodes' "
          + "restore journals");
    }
    uid = r.getMetadata().getUid();
    if (r.getStatus() == null) {
      return;
    }
    List<PhaseTransition> history = r.getStatus().history;
    for (; shown < history.size(); shown++) {
      PhaseTransition t = history.get(shown);
      err.println((t.time == null ? "" : t.time + " ") + "etcdrestore/"
          + r.getMetadata().getName() + ": " + t.phase + (t.message == null ? ""
              : ": " + t.message));
    }
    err.flush();
  }
}
