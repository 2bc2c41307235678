package dev.k3sbackup.etcd;

import java.io.IOException;

/**
 * Reads protobuf wire format in place, for the few etcd messages we decode (a status and the
 * snapshot chunks): no generated classes, no copies of the chunk bytes.
 */
final class ProtoReader {

  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LENGTH_DELIMITED = 2;
  static final int FIXED32 = 5;

  private final byte[] buf;
  private final int end;
  private int pos;
  private int tag;

  ProtoReader(byte[] buf, int offset, int length) {
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
  }

  /** Moves to the next field; false at the end of the message. */
  boolean next() throws IOException {
    if (pos >= end) {
      return false;
    }
    tag = (int) varint();
    return true;
  }

  int field() {
    return tag >>> 3;
  }

  int wireType() {
    return tag & 7;
  }

  long varint() throws IOException {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw new IOException("truncated protobuf varint");
      }
      byte b = buf[pos++];
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new IOException("malformed protobuf varint");
  }

  /** For a length-delimited field: its length; {@link #position()} is where its bytes start. */
  int length() throws IOException {
    long n = varint();
    if (n < 0 || pos + n > end) {
      throw new IOException("protobuf field overruns its message");
    }
    return (int) n;
  }

  int position() {
    return pos;
  }

  void skipBytes(int n) {
    pos += n;
  }

  String string() throws IOException {
    int n = length();
    String s = new String(buf, pos, n, java.nio.charset.StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /** Skips the current field's value, whatever its type. */
  void skip() throws IOException {
    switch (wireType()) {
      case VARINT -> varint();
      case FIXED64 -> pos += 8;
      case LENGTH_DELIMITED -> {
        int n = length(); // first: it moves pos past the length prefix
        pos += n;
      }
      case FIXED32 -> pos += 4;
      default -> throw new IOException("unsupported protobuf wire type " + wireType());
    }
  }
}
