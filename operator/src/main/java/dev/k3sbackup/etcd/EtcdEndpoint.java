package dev.k3sbackup.etcd;

import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.base.SnapshotException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Exactly one etcd client endpoint, and the TLS files used to reach it. A snapshot streams from
 * the member the client talks to, so there is never more than one.
 *
 * @param url {@code https://host:port} or {@code http://host:port}
 * @param caCert CA bundle that signed etcd's serving certificate (https only)
 * @param clientCert client certificate (https only, optional)
 * @param clientKey client private key in PEM, PKCS#8, PKCS#1 or SEC1 (https only, optional)
 */
public record EtcdEndpoint(URI url, Path caCert, Path clientCert, Path clientKey) {

  /** K3s serves its embedded etcd here. */
  public static final String K3S_ENDPOINT = "https://127.0.0.1:2379";

  /** The endpoint and TLS files K3s uses for its own etcd client, in {@code k3s}'s layout. */
  public static EtcdEndpoint k3sDefaults(K3sLayout k3s) {
    return new EtcdEndpoint(URI.create(K3S_ENDPOINT), k3s.etcdCaCert(), k3s.etcdClientCert(),
        k3s.etcdClientKey());
  }

  /**
   * Parses {@code --endpoints}. K3s takes a list; a snapshot needs one member, so more than one is
   * refused rather than silently picking.
   */
  public static URI parseEndpoint(String value) {
    if (value == null || value.isBlank()) {
      throw SnapshotException.badInput("--endpoints is empty: give one etcd client URL, e.g. "
          + K3S_ENDPOINT);
    }
    if (value.contains(",")) {
      throw SnapshotException.badInput("--endpoints " + value + " names several endpoints: a "
          + "snapshot streams from exactly one member, give one URL such as " + K3S_ENDPOINT);
    }
    String withScheme = value.contains("://") ? value : "https://" + value;
    URI uri;
    try {
      uri = URI.create(withScheme.trim());
    } catch (IllegalArgumentException e) {
      throw SnapshotException.badInput("--endpoints " + value + " is not a URL: use https://host:port");
    }
    if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())
        || uri.getHost() == null || uri.getPort() < 0) {
      throw SnapshotException.badInput("--endpoints " + value
          + " must be http://host:port or https://host:port");
    }
    return uri;
  }

  public boolean tls() {
    return "https".equals(url.getScheme());
  }

  /** The gRPC target string jetcd expects for this endpoint. */
  public String target() {
    return url.getScheme() + "://" + url.getHost() + ":" + url.getPort();
  }

  @Override
  public String toString() {
    return target();
  }
}
