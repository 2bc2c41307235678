package dev.k3sbackup.base;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every derived name fits Kubernetes' 63 characters and never collides. */
class KubeNamesTest {

  @Test
  void aNameThatFitsStaysAsItIs() {
    assertThat(KubeNames.of("k3s-default", "-29000000")).isEqualTo("k3s-default-29000000");
    assertThat(KubeNames.of("a".repeat(56), "-save-1")).isEqualTo("a".repeat(56) + "-save-1");
  }

  @Test
  void aLongNameIsCutAndEndsInAHashOfTheWholeBeforeItsSuffix() {
    String name = KubeNames.of("s".repeat(63), "-save-1");
    assertThat(name).hasSize(63).endsWith("-save-1")
        .matches("s+-[0-9a-f]{8}-save-1")
        .contains(KubeNames.hash("s".repeat(63) + "-save-1"));
    assertThat(KubeNames.isLabel(name)).isTrue();
  }

  @Test
  void schedulesOf50To54CharactersGetOneJobNamePerRun() {
    // today's cut kept the first 56 characters of "<schedule>-<minute>": every run collided
    for (int length = 50; length <= 54; length++) {
      String schedule = "s".repeat(length);
      Set<String> jobs = new HashSet<>();
      for (long minute = 29_000_000; minute < 29_000_010; minute++) {
        String child = KubeNames.of(schedule, "-" + minute);
        String job = KubeNames.of(child, "-save-1");
        assertThat(child.length()).isLessThanOrEqualTo(63);
        assertThat(KubeNames.isLabel(job)).as(job).isTrue();
        jobs.add(job);
      }
      assertThat(jobs).as("schedule of " + length).hasSize(10);
    }
  }

  @Test
  void nodeNamesOf60CharactersWithDotsAndCapitalsFit() {
    String node = "ip-10-0-0-1." + "x".repeat(40) + ".Internal";
    String job = KubeNames.of("node-scan-" + node, "-lq2x1k0");
    assertThat(KubeNames.isLabel(job)).as(job).isTrue();
    assertThat(job).endsWith("-lq2x1k0").startsWith("node-scan-ip-10-0-0-1-xxx");
    // a name changed to fit (dots) gets a hash, so two nodes differing in a dot never meet
    assertThat(KubeNames.of("node-a.b")).isNotEqualTo(KubeNames.of("node-a-b"));
    assertThat(KubeNames.of("node-a-b")).isEqualTo("node-a-b");
  }

  @Test
  void aLongOrUnusualSuffixBecomesPartOfTheHashedWhole() {
    String name = KubeNames.of("restore-1", "-peer-" + "n".repeat(60));
    assertThat(KubeNames.isLabel(name)).isTrue();
    assertThat(name).isNotEqualTo(KubeNames.of("restore-1", "-peer-" + "n".repeat(59) + "m"));
    assertThat(KubeNames.isLabel(KubeNames.of("r", "-peer-Node.One"))).isTrue();
  }

  @Test
  void isLabelFollowsDns1123() {
    assertThat(KubeNames.isLabel("a-b")).isTrue();
    assertThat(KubeNames.isLabel("-a")).isFalse();
    assertThat(KubeNames.isLabel("a.b")).isFalse();
    assertThat(KubeNames.isLabel("a".repeat(64))).isFalse();
  }
}
