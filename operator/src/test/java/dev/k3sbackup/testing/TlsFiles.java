package dev.k3sbackup.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A CA, a server pair and a client pair made with openssl, laid out like K3s's
 * {@code server/tls/etcd}: keys are SEC1 ({@code EC PRIVATE KEY}), as K3s writes them.
 *
 * @param dir where the files are
 */
public record TlsFiles(Path dir) {

  public Path ca() {
    return dir.resolve("server-ca.crt");
  }

  public Path serverCert() {
    return dir.resolve("server-client.crt");
  }

  public Path serverKey() {
    return dir.resolve("server-client.key");
  }

  public Path clientCert() {
    return dir.resolve("client.crt");
  }

  public Path clientKey() {
    return dir.resolve("client.key");
  }

  /** Generates a fresh CA and pairs signed by it, under {@code dir} (another CA: {@code name}). */
  public static TlsFiles generate(Path dir, String caName) throws IOException {
    Files.createDirectories(dir);
    TlsFiles t = new TlsFiles(dir);
    Path caKey = dir.resolve("server-ca.key");
    ecKey(caKey);
    Processes.run("openssl", "req", "-x509", "-new", "-key", caKey.toString(), "-subj",
        "/CN=" + caName, "-days", "2", "-out", t.ca().toString());
    signed(t, caKey, "etcd-server", t.serverKey(), t.serverCert(),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    signed(t, caKey, "etcd-client", t.clientKey(), t.clientCert(),
        "extendedKeyUsage=clientAuth\n");
    return t;
  }

  private static void ecKey(Path key) {
    Processes.run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
        key.toString());
  }

  private static void signed(TlsFiles t, Path caKey, String cn, Path key, Path cert,
      String extensions) throws IOException {
    ecKey(key);
    Path csr = t.dir().resolve(cn + ".csr");
    Path ext = t.dir().resolve(cn + ".ext");
    Files.writeString(ext, extensions);
    Processes.run("openssl", "req", "-new", "-key", key.toString(), "-subj", "/CN=" + cn,
        "-out", csr.toString());
    Processes.run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", t.ca().toString(),
        "-CAkey", caKey.toString(), "-CAcreateserial", "-days", "2", "-out", cert.toString(),
        "-extfile", ext.toString());
  }
}
