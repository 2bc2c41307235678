package dev.k3sbackup.etcd;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.TrailerCheck;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLException;

/**
 * {@link EtcdMember} over our own lean gRPC connection (see {@link GrpcConnection} for why):
 * {@code Maintenance/Status} and {@code Maintenance/Snapshot}, on one connection to exactly one
 * member.
 */
public final class GrpcEtcdMember implements EtcdMember {

  private static final byte[] EMPTY_REQUEST = new byte[0];

  private final EtcdEndpoint endpoint;
  private final Duration timeout;
  private final GrpcConnection connection;

  private GrpcEtcdMember(EtcdEndpoint endpoint, Duration timeout, GrpcConnection connection) {
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.connection = connection;
  }

  /** Reads the TLS files, connects and completes the TLS handshake, or says what is wrong. */
  public static GrpcEtcdMember connect(EtcdEndpoint endpoint, Duration timeout) {
    EtcdTls.Engines tls = endpoint.tls() ? EtcdTls.engines(endpoint) : null; // bad files first
    try {
      return new GrpcEtcdMember(endpoint, timeout, GrpcConnection.open(endpoint.url().getHost(),
          endpoint.url().getPort(), tls, timeout));
    } catch (IOException e) {
      throw explain(endpoint, timeout, e);
    }
  }

  @Override
  public MemberStatus status() {
    MemberStatus[] result = new MemberStatus[1];
    try {
      connection.call("/etcdserverpb.Maintenance/Status", EMPTY_REQUEST,
          (buf, length) -> result[0] = parseStatus(buf, length));
    } catch (IOException e) {
      throw explain(endpoint, timeout, e);
    }
    if (result[0] == null) {
      throw SnapshotException.failed("etcd at " + endpoint + " answered the status request "
          + "with no status", null);
    }
    return result[0];
  }

  @Override
  public java.util.List<EtcdMemberInfo> members() {
    java.util.List<EtcdMemberInfo> members = new java.util.ArrayList<>();
    try {
      connection.call("/etcdserverpb.Cluster/MemberList", EMPTY_REQUEST, (buf, length) -> {
        ProtoReader r = new ProtoReader(buf, 0, length);
        while (r.next()) {
          if (r.field() == 2 && r.wireType() == ProtoReader.LENGTH_DELIMITED) {
            int n = r.length();
            members.add(parseMember(buf, r.position(), n));
            r.skipBytes(n);
          } else {
            r.skip();
          }
        }
      });
    } catch (IOException e) {
      throw explain(endpoint, timeout, e);
    }
    return members;
  }

  /** One {@code etcdserverpb.Member}: id 1, name 2, peerURLs 3, clientURLs 4, isLearner 5. */
  private static EtcdMemberInfo parseMember(byte[] buf, int offset,
      int length) throws IOException {
    ProtoReader m = new ProtoReader(buf, offset, length);
    long id = 0;
    String name = "";
    java.util.List<String> peers = new java.util.ArrayList<>();
    boolean learner = false;
    while (m.next()) {
      switch (m.field()) {
        case 1 -> id = m.varint();
        case 2 -> name = m.string();
        case 3 -> peers.add(m.string());
        case 5 -> learner = m.varint() != 0;
        default -> m.skip();
      }
    }
    return new EtcdMemberInfo(Long.toHexString(id), name, peers, learner);
  }

  @Override
  public long snapshot(OutputStream out, LongConsumer expectedSize) throws IOException {
    long[] written = {0, -1};
    try {
      connection.call("/etcdserverpb.Maintenance/Snapshot", EMPTY_REQUEST, (buf, length) -> {
        ProtoReader r = new ProtoReader(buf, 0, length);
        long remaining = 0; // proto3 leaves a zero out: a one-chunk snapshot has none left
        while (r.next()) {
          if (r.field() == 2 && r.wireType() == ProtoReader.VARINT) {
            remaining = r.varint();
          } else if (r.field() == 3 && r.wireType() == ProtoReader.LENGTH_DELIMITED) {
            int n = r.length();
            out.write(buf, r.position(), n);
            written[0] += n;
            r.skipBytes(n);
          } else {
            r.skip();
          }
        }
        if (written[1] < 0) {
          // remaining_bytes counts the database only; etcd appends its sha256 as a last chunk
          written[1] = written[0] + remaining + TrailerCheck.TRAILER;
          expectedSize.accept(written[1]);
        }
      });
    } catch (GrpcConnection.GrpcStatusException e) {
      throw new IOException("etcd refused the snapshot (" + e.getMessage() + ")", e);
    } catch (SocketTimeoutException e) {
      throw new IOException("etcd at " + endpoint + " sent nothing for " + timeout.toSeconds()
          + "s (--etcd-timeout)", e);
    } catch (EOFException e) {
      throw new IOException("etcd at " + endpoint + " closed the connection after "
          + written[0] + " bytes", e);
    }
    return written[0];
  }

  private static MemberStatus parseStatus(byte[] buf, int length) throws IOException {
    ProtoReader r = new ProtoReader(buf, 0, length);
    long clusterId = 0;
    long memberId = 0;
    long revision = 0;
    String version = "";
    long dbSize = 0;
    while (r.next()) {
      switch (r.field()) {
        case 1 -> {
          int n = r.length();
          ProtoReader h = new ProtoReader(buf, r.position(), n);
          while (h.next()) {
            switch (h.field()) {
              case 1 -> clusterId = h.varint();
              case 2 -> memberId = h.varint();
              case 3 -> revision = h.varint();
              default -> h.skip();
            }
          }
          r.skipBytes(n);
        }
        case 2 -> version = r.string();
        case 3 -> dbSize = r.varint();
        default -> r.skip();
      }
    }
    return new MemberStatus(Long.toHexString(memberId), Long.toHexString(clusterId), revision,
        version, dbSize);
  }

  /** Explains a failure to talk to etcd in terms of the flags that control the connection. */
  static SnapshotException explain(EtcdEndpoint endpoint, Duration timeout, IOException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return SnapshotException.failed("TLS with etcd at " + endpoint + " failed ("
            + c.getMessage() + "): check that --cacert signed etcd's certificate and that "
            + "--cert/--key are a client pair etcd trusts (K3s: server/tls/etcd/server-ca.crt, "
            + "client.crt, client.key)", e);
      }
    }
    if (e instanceof GrpcConnection.GrpcStatusException) {
      return SnapshotException.failed("etcd at " + endpoint + " refused the request ("
          + e.getMessage() + ")", e);
    }
    String what = e instanceof SocketTimeoutException ? "no answer within " + timeout.toSeconds()
        + "s" : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return SnapshotException.failed("cannot reach etcd at " + endpoint + " (" + what
        + "): check --endpoints, and that k3s (or etcd) is running on this node", e);
  }

  @Override
  public void close() {
    connection.close();
  }
}
