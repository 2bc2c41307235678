package dev.k3sbackup.restore;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Whether K3s itself serves on a node: its supervisor answers {@code GET /ping} with 200 (K3s's
 * own health check of etcd servers asks the same), on the supervisor port (6443, shared with the
 * API server). A peer asks the restored server's K3s, not only that server's agent, which its
 * kubelet may have killed. Only liveness is read, and nothing is sent: the server's certificate
 * is not checked (its CA is not on the peer's side of a restore yet).
 */
public final class K3sPing {

  /** K3s's supervisor port. */
  public static final int SUPERVISOR_PORT = 6443;

  private final HttpClient http;

  public K3sPing() {
    try {
      SSLContext any = SSLContext.getInstance("TLS");
      any.init(null, new TrustManager[] {new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }}, new SecureRandom());
      this.http = HttpClient.newBuilder().sslContext(any)
          .connectTimeout(Duration.ofSeconds(2)).build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether K3s answers at {@code url} (its {@code /ping}). */
  public boolean answers(URI url) {
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2))
          .GET().build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return false;
    }
  }

  /** K3s's {@code /ping} on the node at {@code host}. */
  public static URI of(String host, int port) {
    return URI.create("https://" + (host.contains(":") && !host.startsWith("[") ? "[" + host
        + "]" : host) + ":" + port + "/ping");
  }
}
