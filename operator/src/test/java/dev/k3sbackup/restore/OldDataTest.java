package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.base.K3sLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data restores move aside is kept to a number: the newest stay, the rest go. */
class OldDataTest {

  @Test
  void keepsTheNewestByTheTimeInTheName() {
    assertThat(OldData.beyond(List.of("etcd-old-100", "etcd-old-300", "etcd-old-20", "etcd",
        "etcd-old-x"), Pattern.compile("etcd-old-(\\d+)"), 2)).containsExactly("etcd-old-20");
    assertThat(OldData.beyond(List.of("db-old-1"), Pattern.compile("db-old-(\\d+)"), 2))
        .isEmpty();
  }

  @Test
  void removesEtcdOldAndDbOldBeyondTheNumberAndNothingElse(@TempDir Path root)
      throws Exception {
    K3sLayout k3s = K3sLayout.of(root);
    for (String d : List.of("etcd", "etcd-old-100", "etcd-old-200", "etcd-old-300",
        "snapshots")) {
      Files.createDirectories(k3s.db().resolve(d).resolve("member"));
      Files.writeString(k3s.db().resolve(d).resolve("member/db"), "x");
    }
    for (String d : List.of("db-old-1", "db-old-2", "db-old-3", "tls")) {
      Files.createDirectories(k3s.server().resolve(d));
    }

    List<Path> removed = OldData.prune(k3s, 2);

    assertThat(removed).containsExactlyInAnyOrder(k3s.db().resolve("etcd-old-100"),
        k3s.server().resolve("db-old-1"));
    assertThat(k3s.db().resolve("etcd-old-100")).doesNotExist();
    assertThat(k3s.db().resolve("etcd-old-300/member/db")).exists();
    assertThat(k3s.db().resolve("etcd/member/db")).exists();
    assertThat(k3s.db().resolve("snapshots")).exists();
    assertThat(k3s.server().resolve("tls")).exists();
    assertThat(k3s.server().resolve("db-old-3")).exists();
  }
}
