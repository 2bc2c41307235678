package dev.k3sbackup.etcd;

import dev.k3sbackup.snapshot.SnapshotException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Connects to the etcd endpoint once, before gRPC does, to say precisely what is wrong: gRPC only
 * retries a refused connection or a failed handshake until its deadline, and hides why.
 */
final class EndpointProbe {

  private EndpointProbe() {}

  /** Fails with a message naming the flag at fault when the endpoint cannot be reached. */
  static void check(EtcdEndpoint endpoint, Duration timeout) {
    int millis = (int) Math.min(timeout.toMillis(), 10_000);
    SSLContext ssl = endpoint.tls() ? sslContext(endpoint) : null; // bad files first
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(endpoint.url().getHost(), endpoint.url().getPort()),
          millis);
    } catch (IOException e) {
      close(socket);
      throw SnapshotException.failed("cannot reach etcd at " + endpoint + " (" + e.getMessage()
          + "): check --endpoints, and that k3s (or etcd) is running on this node", e);
    }
    if (ssl == null) {
      close(socket);
      return;
    }
    try (SSLSocket tls = (SSLSocket) ssl.getSocketFactory().createSocket(socket,
        endpoint.url().getHost(), endpoint.url().getPort(), true)) {
      tls.setSoTimeout(millis);
      tls.startHandshake();
      // With TLS 1.3 a rejected client certificate shows only after the handshake: read a little.
      tls.setSoTimeout(Math.min(millis, 500));
      tls.getOutputStream().write("HEAD / HTTP/1.1\r\nHost: etcd\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = tls.getInputStream();
      in.read();
    } catch (SocketTimeoutException e) {
      // the server holds the connection open: TLS was accepted
    } catch (SSLException e) {
      throw SnapshotException.failed("TLS with etcd at " + endpoint + " failed (" + e.getMessage()
          + "): check that --cacert signed etcd's certificate and that --cert/--key are a client "
          + "pair etcd trusts (K3s: server/tls/etcd/server-ca.crt, client.crt, client.key)", e);
    } catch (IOException e) {
      // a reset after the handshake is not a TLS verdict; gRPC will report what follows
    }
  }

  private static SSLContext sslContext(EtcdEndpoint endpoint) {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      List<java.security.cert.X509Certificate> cas =
          PemFiles.certificates("--cacert", endpoint.caCert());
      for (int i = 0; i < cas.size(); i++) {
        trust.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (endpoint.clientCert() != null && endpoint.clientKey() != null) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", privateKey(endpoint), new char[0],
            PemFiles.certificates("--cert", endpoint.clientCert())
                .toArray(java.security.cert.Certificate[]::new));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (SnapshotException e) {
      throw e;
    } catch (Exception e) {
      throw SnapshotException.badInput("cannot use --cacert/--cert/--key for etcd ("
          + e.getMessage() + ")");
    }
  }

  private static PrivateKey privateKey(EtcdEndpoint endpoint) throws Exception {
    String pem = new String(PemFiles.privateKeyAsPkcs8Pem("--key", endpoint.clientKey()),
        StandardCharsets.US_ASCII);
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    Exception last = null;
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (Exception e) {
        last = e;
      }
    }
    throw SnapshotException.badInput("--key " + endpoint.clientKey() + " is not an EC, RSA or "
        + "Ed25519 private key (" + (last == null ? "" : last.getMessage()) + ")");
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to release
    }
  }
}
