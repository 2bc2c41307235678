package dev.k3sbackup.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerTokenHashTest {

  @Test
  void hashesThePasswordPartLikeK3s() {
    // sha256("secret") = 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
    assertThat(ServerTokenHash.of("secret")).isEqualTo("2bb80d537b1d");
    assertThat(ServerTokenHash.of("K10abc123::server:secret\n")).isEqualTo("2bb80d537b1d");
    assertThat(ServerTokenHash.of("server:secret")).isEqualTo("2bb80d537b1d");
  }
}
