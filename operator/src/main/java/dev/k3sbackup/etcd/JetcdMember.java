package dev.k3sbackup.etcd;

import com.google.protobuf.ByteString;
import dev.k3sbackup.snapshot.SnapshotException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.maintenance.SnapshotResponse;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLException;

/** {@link EtcdMember} over jetcd, pointed at exactly one endpoint. */
public final class JetcdMember implements EtcdMember {

  /** Chunks etcd sends are 32 KiB; this bounds what waits in memory to about 4 MiB. */
  private static final int QUEUE_CHUNKS = 128;
  private static final Object END = new Object();

  private final EtcdEndpoint endpoint;
  private final Duration timeout;
  private final Client client;

  private JetcdMember(EtcdEndpoint endpoint, Duration timeout, Client client) {
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.client = client;
  }

  /**
   * Validates the TLS files and probes the endpoint (so a refused connection or a rejected
   * certificate is reported as such), then opens a client to it.
   */
  public static JetcdMember connect(EtcdEndpoint endpoint, Duration timeout) {
    EndpointProbe.check(endpoint, timeout);
    ClientBuilder builder = Client.builder()
        .endpoints(endpoint.target())
        .connectTimeout(timeout)
        .retryMaxDuration(timeout)
        .retryMaxAttempts(2);
    if (endpoint.tls()) {
      try {
        builder.sslContext(ssl -> configureTls(ssl, endpoint));
      } catch (SSLException e) {
        throw SnapshotException.badInput("cannot set up TLS for etcd from --cacert/--cert/--key ("
            + e.getMessage() + ")");
      }
    }
    return new JetcdMember(endpoint, timeout, builder.build());
  }

  /** Trust exactly {@code --cacert}; present {@code --cert}/{@code --key} when given. */
  private static void configureTls(SslContextBuilder ssl, EtcdEndpoint endpoint) {
    X509Certificate[] ca = PemFiles.certificates("--cacert", endpoint.caCert())
        .toArray(X509Certificate[]::new);
    ssl.trustManager(ca);
    if (endpoint.clientCert() != null || endpoint.clientKey() != null) {
      if (endpoint.clientCert() == null || endpoint.clientKey() == null) {
        throw SnapshotException.badInput("--cert and --key go together: give both or neither");
      }
      X509Certificate[] chain = PemFiles.certificates("--cert", endpoint.clientCert())
          .toArray(X509Certificate[]::new);
      byte[] key = PemFiles.privateKeyAsPkcs8Pem("--key", endpoint.clientKey());
      try {
        ssl.keyManager(new ByteArrayInputStream(pemOf(chain)), new ByteArrayInputStream(key));
      } catch (IllegalArgumentException e) {
        throw SnapshotException.badInput("--cert " + endpoint.clientCert() + " and --key "
            + endpoint.clientKey() + " do not form a usable key pair (" + e.getMessage() + ")");
      }
    }
  }

  private static byte[] pemOf(X509Certificate[] chain) {
    StringBuilder pem = new StringBuilder();
    var encoder = java.util.Base64.getMimeEncoder(64, new byte[] {'\n'});
    for (X509Certificate cert : chain) {
      try {
        pem.append("-----BEGIN CERTIFICATE-----\n")
            .append(encoder.encodeToString(cert.getEncoded()))
            .append("\n-----END CERTIFICATE-----\n");
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalArgumentException(e);
      }
    }
    return pem.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  @Override
  public MemberStatus status() {
    try {
      StatusResponse status = client.getMaintenanceClient().statusMember(endpoint.target())
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new MemberStatus(
          Long.toHexString(status.getHeader().getMemberId()),
          Long.toHexString(status.getHeader().getClusterId()),
          status.getHeader().getRevision(),
          status.getVersion(),
          status.getDbSize());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SnapshotException.failed("interrupted while asking etcd for its status", e);
    } catch (ExecutionException | TimeoutException e) {
      throw unreachable(e instanceof ExecutionException ? e.getCause() : e);
    }
  }

  /** Explains a failure to talk to etcd in terms of the flags that control the connection. */
  SnapshotException unreachable(Throwable cause) {
    String detail = rootMessage(cause);
    if (isTls(cause)) {
      return SnapshotException.failed("TLS with etcd at " + endpoint + " failed (" + detail
          + "): check that --cacert signed etcd's certificate and that --cert/--key are a client "
          + "pair etcd trusts (K3s: server/tls/etcd/server-ca.crt, client.crt, client.key)", cause);
    }
    return SnapshotException.failed("cannot reach etcd at " + endpoint + " (" + detail + "): check "
        + "--endpoints, and that k3s (or etcd) is running on this node", cause);
  }

  private static boolean isTls(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String name = c.getClass().getName();
      String msg = String.valueOf(c.getMessage());
      if (c instanceof SSLException || name.contains("Ssl") || name.contains("SSL")
          || msg.contains("certificate") || msg.contains("handshake") || msg.contains("SSL")) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable t) {
    if (t instanceof TimeoutException) {
      return "no answer within the timeout";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return msg.length() > 200 ? msg.substring(0, 200) + "..." : msg;
  }

  @Override
  public long snapshot(OutputStream out, LongConsumer expectedSize) throws IOException {
    BlockingQueue<Object> chunks = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    SnapshotObserver observer = new SnapshotObserver(chunks);
    client.getMaintenanceClient().snapshot(observer);
    long written = 0;
    boolean first = true;
    try {
      while (true) {
        Object item = chunks.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (item == null) {
          throw new IOException("etcd at " + endpoint + " sent nothing for " + timeout.toSeconds()
              + "s");
        }
        if (item == END) {
          return written;
        }
        if (item instanceof Throwable error) {
          throw new IOException(unreachable(error).getMessage(), error);
        }
        SnapshotResponse chunk = (SnapshotResponse) item;
        ByteString blob = chunk.getBlob();
        if (first) {
          expectedSize.accept(blob.size() + chunk.getRemainingBytes());
          first = false;
        }
        blob.writeTo(out);
        written += blob.size();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while streaming the snapshot");
    } finally {
      observer.abandon(); // unblocks the gRPC thread if we stop early
    }
  }

  @Override
  public void close() {
    client.close();
  }

  /** Hands gRPC's chunks to the reading thread through a bounded queue (back pressure). */
  private static final class SnapshotObserver implements StreamObserver<SnapshotResponse> {
    private final BlockingQueue<Object> chunks;
    private volatile boolean abandoned;

    SnapshotObserver(BlockingQueue<Object> chunks) {
      this.chunks = chunks;
    }

    void abandon() {
      abandoned = true;
      chunks.clear();
    }

    private void put(Object item) {
      try {
        while (!abandoned && !chunks.offer(item, 100, TimeUnit.MILLISECONDS)) {
          // the reader is behind: wait, so etcd is read no faster than we write
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void onNext(SnapshotResponse value) {
      put(value);
    }

    @Override
    public void onError(Throwable t) {
      put(t);
    }

    @Override
    public void onCompleted() {
      put(END);
    }
  }
}
