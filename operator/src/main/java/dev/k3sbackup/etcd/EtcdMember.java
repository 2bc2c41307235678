package dev.k3sbackup.etcd;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongConsumer;

/** A connection to one etcd member, able to stream its snapshot. */
public interface EtcdMember extends AutoCloseable {

  /** The member's identity and current revision; fails with a clear message if unreachable. */
  MemberStatus status();

  /**
   * Streams the member's snapshot into {@code out} on the calling thread, with back pressure: etcd
   * is read no faster than {@code out} accepts bytes. {@code expectedSize} is told the stream's
   * total length once the first chunk arrives.
   *
   * @return the number of bytes written
   */
  long snapshot(OutputStream out, LongConsumer expectedSize) throws IOException;

  /** The cluster's members, as this member knows them ({@code Cluster/MemberList}). */
  default java.util.List<EtcdMemberInfo> members() {
    throw new UnsupportedOperationException("this connection cannot list members");
  }

  @Override
  void close();
}
