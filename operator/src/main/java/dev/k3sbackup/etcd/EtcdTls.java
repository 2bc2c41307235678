package dev.k3sbackup.etcd;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.tls.PemFiles;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/** The TLS context for an etcd endpoint: trust exactly {@code --cacert}, present the client pair. */
final class EtcdTls {

  private EtcdTls() {}

  static SSLContext context(EtcdEndpoint endpoint) {
    List<X509Certificate> cas = PemFiles.certificates("--cacert", endpoint.caCert());
    if ((endpoint.clientCert() == null) != (endpoint.clientKey() == null)) {
      throw SnapshotException.badInput("--cert and --key go together: give both or neither");
    }
    try {
      TrustManager trust = PemFiles.trusting(cas);
      KeyManagerFactory kmf = null;
      if (endpoint.clientCert() != null) {
        Certificate[] chain = PemFiles.certificates("--cert", endpoint.clientCert())
            .toArray(Certificate[]::new);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", privateKey(endpoint), new char[0], chain);
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] {trust}, null);
      return ctx;
    } catch (SnapshotException e) {
      throw e;
    } catch (Exception e) {
      throw SnapshotException.badInput("--cert " + endpoint.clientCert() + " and --key "
          + endpoint.clientKey() + " cannot be used together (" + e.getMessage() + ")");
    }
  }

  private static PrivateKey privateKey(EtcdEndpoint endpoint) {
    String pem = new String(PemFiles.privateKeyAsPkcs8Pem("--key", endpoint.clientKey()),
        StandardCharsets.US_ASCII);
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (Exception e) {
        // try the next algorithm
      }
    }
    throw SnapshotException.badInput("--key " + endpoint.clientKey()
        + " is not an EC, RSA or Ed25519 private key");
  }
}
