package dev.k3sbackup.bench;

import com.google.protobuf.ByteString;
import dev.k3sbackup.base.TrailerCheck;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.etcd.EtcdEndpoint;
import dev.k3sbackup.etcd.EtcdMember;
import dev.k3sbackup.etcd.MemberStatus;
import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SaveRequest;
import dev.k3sbackup.snapshot.SnapshotSaver;
import dev.k3sbackup.tls.PemFiles;
import etcdserverpb.MaintenanceGrpc;
import etcdserverpb.Rpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Our {@code save} (SnapshotSaver: trailer check, sha256, part file, fsync, rename), with etcd's
 * stream read through grpc-java instead of our own HTTP/2 client.
 * usage: GrpcJavaSave ENDPOINT CACERT CERT KEY DIR NODE
 */
public final class GrpcJavaSave {

  public static void main(String[] args) {
    EtcdEndpoint endpoint = new EtcdEndpoint(EtcdEndpoint.parseEndpoint(args[0]), Path.of(args[1]),
        Path.of(args[2]), Path.of(args[3]));
    SaveRequest request = new SaveRequest(endpoint, Duration.ofSeconds(30), Path.of(args[4]),
        "on-demand", args[5], false, null, null, null);
    SnapshotRecord record = new SnapshotSaver(Clock.systemUTC(), r -> Member.connect(endpoint),
        ProgressListener.NONE).save(request);
    System.out.println(record.name() + " " + record.size() + " " + record.sha256()
        + " (TLS: " + (OpenSsl.isAvailable() ? "OpenSSL/BoringSSL" : "JDK") + ")");
    System.exit(0);
  }

  static final class Member implements EtcdMember {
    private final ManagedChannel channel;
    private final MaintenanceGrpc.MaintenanceBlockingStub stub;

    private Member(ManagedChannel channel) {
      this.channel = channel;
      this.stub = MaintenanceGrpc.newBlockingStub(channel);
    }

    static Member connect(EtcdEndpoint endpoint) {
      try {
        SslContext ssl = GrpcSslContexts.forClient()
            .trustManager(PemFiles.certificates("--cacert", endpoint.caCert())
                .toArray(X509Certificate[]::new))
            .keyManager(privateKey(endpoint.clientKey()), PemFiles.certificates("--cert",
                endpoint.clientCert()).toArray(X509Certificate[]::new))
            .build();
        return new Member(NettyChannelBuilder.forAddress(endpoint.url().getHost(),
                endpoint.url().getPort())
            .sslContext(ssl)
            .flowControlWindow(16 * 1024 * 1024)
            .maxInboundMessageSize(64 * 1024 * 1024)
            .build());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private static PrivateKey privateKey(Path file) {
      String pem = new String(PemFiles.privateKeyAsPkcs8Pem("--key", file),
          StandardCharsets.US_ASCII);
      byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
      for (String algorithm : new String[] {"EC", "RSA"}) {
        try {
          return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (Exception e) {
          // next
        }
      }
      throw new IllegalArgumentException("unreadable key " + file);
    }

    @Override
    public MemberStatus status() {
      Rpc.StatusResponse s = stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .status(Rpc.StatusRequest.getDefaultInstance());
      return new MemberStatus(Long.toHexString(s.getHeader().getMemberId()),
          Long.toHexString(s.getHeader().getClusterId()), s.getHeader().getRevision(),
          s.getVersion(), s.getDbSize());
    }

    @Override
    public long snapshot(OutputStream out, LongConsumer expectedSize) throws IOException {
      long written = 0;
      boolean first = true;
      Iterator<Rpc.SnapshotResponse> chunks =
          stub.snapshot(Rpc.SnapshotRequest.getDefaultInstance());
      while (chunks.hasNext()) {
        Rpc.SnapshotResponse chunk = chunks.next();
        ByteString blob = chunk.getBlob();
        blob.writeTo(out);
        written += blob.size();
        if (first) {
          expectedSize.accept(written + chunk.getRemainingBytes() + TrailerCheck.TRAILER);
          first = false;
        }
      }
      return written;
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
