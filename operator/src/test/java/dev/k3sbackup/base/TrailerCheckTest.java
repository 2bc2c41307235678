package dev.k3sbackup.base;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrailerCheckTest {

  /** A stand-in for etcd's stream: 4 KiB pages of data followed by their sha256. */
  private static byte[] etcdLikeStream(int pages, long seed) throws Exception {
    byte[] body = new byte[pages * 4096];
    new Random(seed).nextBytes(body);
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
    byte[] all = new byte[body.length + 32];
    System.arraycopy(body, 0, all, 0, body.length);
    System.arraycopy(hash, 0, all, body.length, 32);
    return all;
  }

  private static TrailerCheck.Result feed(byte[] data, int... chunkSizes) {
    TrailerCheck check = new TrailerCheck();
    int pos = 0;
    int i = 0;
    while (pos < data.length) {
      int n = Math.min(chunkSizes[i++ % chunkSizes.length], data.length - pos);
      check.update(data, pos, n);
      pos += n;
    }
    return check.finish();
  }

  @Test
  void acceptsAnIntactStreamWhateverTheChunking() throws Exception {
    byte[] stream = etcdLikeStream(10, 1);
    String fileSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stream));
    for (int[] chunks : new int[][] {{32 * 1024}, {1}, {31, 33, 7}, {32}, {stream.length}}) {
      TrailerCheck.Result r = feed(stream, chunks);
      assertThat(r.ok()).as("chunks %s", chunks[0]).isTrue();
      assertThat(r.sha256()).isEqualTo(fileSha);
      assertThat(r.size()).isEqualTo(stream.length);
    }
  }

  @Test
  void refusesAFlippedByte() throws Exception {
    byte[] stream = etcdLikeStream(4, 2);
    stream[100] ^= 0x10;
    assertThat(feed(stream, 4096).problem()).contains("does not match");
  }

  @Test
  void refusesACutShortStream() throws Exception {
    byte[] stream = etcdLikeStream(4, 3);
    byte[] cut = java.util.Arrays.copyOf(stream, stream.length - 100);
    assertThat(feed(cut, 4096).problem()).contains("size % 512 must be 32");
  }
}
