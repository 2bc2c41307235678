package dev.k3sbackup.etcd;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.tls.PemFiles;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for an etcd endpoint: trust exactly {@code --cacert}, present the client pair, offer ALPN
 * {@code h2}. The engine is BoringSSL's (netty-tcnative, shipped for linux x86_64 and aarch64)
 * when its native library loads, else the JDK's: decrypting a snapshot with the JDK's AES-GCM
 * cost more CPU than all the rest of a save, and compiling it took seconds of JIT (issue 13).
 */
public final class EtcdTls {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdTls.class);

  /** Forces the JDK's TLS, as {@code K3S_ETCD_BACKUP_JDK_TLS=true} does. */
  public static final String JDK_TLS_PROPERTY = "k3sbackup.jdkTls";

  private static final java.util.concurrent.atomic.AtomicBoolean PREPARING =
      new java.util.concurrent.atomic.AtomicBoolean();

  private EtcdTls() {}

  /**
   * Loads BoringSSL on a thread of its own, so that a command about to connect to etcd finds it
   * loaded: loading it (the library out of the jar, then netty's checks of what it supports) takes
   * about 0.18 s, which otherwise waits in front of the first byte from etcd, after the command
   * line and the logging are set up. Started first thing, it runs alongside those on the other
   * core. Once per process; nothing when the JDK's TLS is asked for.
   */
  public static void prepareInBackground() {
    if (jdkTlsAsked() || !PREPARING.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(() -> {
      try {
        OpenSsl.isAvailable();
      } catch (LinkageError e) {
        // nativeTls() says why, when the connection asks
      }
    }, "tls-prepare");
    t.setDaemon(true);
    t.start();
  }

  private static boolean jdkTlsAsked() {
    return "true".equalsIgnoreCase(System.getenv("K3S_ETCD_BACKUP_JDK_TLS"))
        || Boolean.getBoolean(JDK_TLS_PROPERTY);
  }

  /** Makes client engines for one endpoint's files. */
  interface Engines {
    SSLEngine client(String host, int port) throws SSLException;
  }

  /** Reads and checks the files now (a bad one is refused before anything connects). */
  static Engines engines(EtcdEndpoint endpoint) {
    if ((endpoint.clientCert() == null) != (endpoint.clientKey() == null)) {
      throw SnapshotException.badInput("--cert and --key go together: give both or neither");
    }
    if (!nativeTls()) {
      SSLContext jdk = context(endpoint);
      return (host, port) -> jdkEngine(jdk, host, port);
    }
    try {
      SslContextBuilder builder = SslContextBuilder.forClient()
          .sslProvider(SslProvider.OPENSSL)
          .trustManager(PemFiles.certificates("--cacert", endpoint.caCert())
              .toArray(X509Certificate[]::new))
          .applicationProtocolConfig(new ApplicationProtocolConfig(
              ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2"));
      if (endpoint.clientCert() != null) {
        builder.keyManager(clientKeys(endpoint));
      }
      SslContext ssl = builder.build();
      return (host, port) -> ssl.newEngine(UnpooledByteBufAllocator.DEFAULT, host, port);
    } catch (SnapshotException e) {
      throw e;
    } catch (SSLException | RuntimeException e) {
      LOG.debug("BoringSSL refused the TLS files ({}), using the JDK's TLS", e.getMessage());
      SSLContext jdk = context(endpoint);
      return (host, port) -> jdkEngine(jdk, host, port);
    }
  }

  /**
   * Whether BoringSSL's library loaded; {@code K3S_ETCD_BACKUP_JDK_TLS=true} (or the system
   * property {@value #JDK_TLS_PROPERTY}, which the tests set) says never.
   */
  private static boolean nativeTls() {
    if (jdkTlsAsked()) {
      return false;
    }
    try {
      if (OpenSsl.isAvailable()) {
        return true;
      }
      LOG.debug("BoringSSL is not available here ({}), using the JDK's TLS",
          OpenSsl.unavailabilityCause().toString());
    } catch (LinkageError e) {
      LOG.debug("BoringSSL could not load ({}), using the JDK's TLS", e.toString());
    }
    return false;
  }

  private static SSLEngine jdkEngine(SSLContext context, String host, int port) {
    SSLEngine engine = context.createSSLEngine(host, port);
    SSLParameters params = engine.getSSLParameters();
    params.setApplicationProtocols(new String[] {"h2"});
    engine.setSSLParameters(params);
    return engine;
  }

  /** The JDK's TLS for {@code endpoint}, whose --cert and --key are both given or neither. */
  private static SSLContext context(EtcdEndpoint endpoint) {
    List<X509Certificate> cas = PemFiles.certificates("--cacert", endpoint.caCert());
    try {
      TrustManager trust = PemFiles.trusting(cas);
      KeyManager[] keys = endpoint.clientCert() == null ? null
          : new KeyManager[] {clientKeys(endpoint)};
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, new TrustManager[] {trust}, null);
      return ctx;
    } catch (SnapshotException e) {
      throw e;
    } catch (Exception e) {
      throw SnapshotException.badInput("--cert " + endpoint.clientCert() + " and --key "
          + endpoint.clientKey() + " cannot be used together (" + e.getMessage() + ")");
    }
  }

  private static ClientKeyManager clientKeys(EtcdEndpoint endpoint) {
    return new ClientKeyManager(privateKey(endpoint), PemFiles.certificates("--cert",
        endpoint.clientCert()).toArray(X509Certificate[]::new));
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
