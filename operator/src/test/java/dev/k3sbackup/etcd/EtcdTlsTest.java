package dev.k3sbackup.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.TlsFiles;
import java.net.URI;
import java.nio.file.Path;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdTlsTest {

  @TempDir
  Path work;

  private EtcdEndpoint endpoint() throws Exception {
    TlsFiles tls = TlsFiles.generate(work.resolve("server/tls/etcd"), "etcd-ca");
    return new EtcdEndpoint(URI.create("https://127.0.0.1:2379"), tls.ca(), tls.clientCert(),
        tls.clientKey());
  }

  @Test
  void boringSslServesByDefaultAndTheJdkWhenAsked() throws Exception {
    EtcdEndpoint endpoint = endpoint();
    SSLEngine boring = EtcdTls.engines(endpoint).client("127.0.0.1", 2379);
    assertThat(boring.getClass().getName()).contains("OpenSsl");
    System.setProperty(EtcdTls.JDK_TLS_PROPERTY, "true");
    try {
      SSLEngine jdk = EtcdTls.engines(endpoint).client("127.0.0.1", 2379);
      assertThat(jdk.getClass().getName()).startsWith("sun.security.ssl.");
    } finally {
      System.clearProperty(EtcdTls.JDK_TLS_PROPERTY);
    }
  }

  @Test
  void theClientPairIsPresentedAsReadWithoutAKeyStore() throws Exception {
    EtcdEndpoint endpoint = endpoint();
    var chain = dev.k3sbackup.tls.PemFiles.certificates("--cert", endpoint.clientCert())
        .toArray(java.security.cert.X509Certificate[]::new);
    X509KeyManager keys = new ClientKeyManager(null, chain);
    String alias = keys.chooseClientAlias(new String[] {"EC"}, null, null);
    assertThat(keys.getCertificateChain(alias)).containsExactly(chain);
    assertThat(keys.getCertificateChain("another")).isNull();
    assertThat(keys.chooseServerAlias("EC", null, null)).isNull();
  }
}
