package dev.k3sbackup.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtoReaderTest {

  /**
   * A {@code Maintenance/Status} answer of etcd 3.6.16 (the line K3s v1.34 embeds), as it came
   * off the wire: after the fields etcd 3.4 sent it adds length-delimited ones (storageVersion
   * "3.6.0", an empty downgradeInfo) that a reader must skip whole, length prefix included.
   */
  private static final byte[] ETCD_36_STATUS = HexFormat.of().parseHex("0a180887d5edba8fd59dc104"
      + "10c0c0caafc1ba96892e180220021206332e362e31361880c00120c0c0caafc1ba96892e2805300238054880"
      + "80015a05332e362e306080808080086a00");

  @Test
  void skipsLengthDelimitedFieldsIncludingTheirLengthPrefix() throws Exception {
    ProtoReader r = new ProtoReader(ETCD_36_STATUS, 0, ETCD_36_STATUS.length);
    List<Integer> fields = new ArrayList<>();
    while (r.next()) {
      fields.add(r.field());
      r.skip();
    }
    assertThat(fields).containsExactly(1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 13);
    assertThat(r.position()).isEqualTo(ETCD_36_STATUS.length);
  }

  @Test
  void readsTheVersionAfterSkippingTheHeader() throws Exception {
    ProtoReader r = new ProtoReader(ETCD_36_STATUS, 0, ETCD_36_STATUS.length);
    assertThat(r.next()).isTrue();
    r.skip();
    assertThat(r.next()).isTrue();
    assertThat(r.field()).isEqualTo(2);
    assertThat(r.string()).isEqualTo("3.6.16");
  }
}
