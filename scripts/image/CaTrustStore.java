import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes the JVM trust store of the Debian-made base image: every certificate in a directory of
 * PEM files (Debian's ca-certificates package, {@code /usr/share/ca-certificates/mozilla}) as a
 * trusted entry of a JKS keystore with Debian's password, which is what ca-certificates-java's
 * maintainer script makes at {@code /etc/ssl/certs/java/cacerts} on an installed system. Run
 * with the build machine's own java (single-file source launch), so no root and no chroot:
 * {@code java CaTrustStore.java PEM_DIR OUT_FILE}.
 */
public final class CaTrustStore {

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: java CaTrustStore.java PEM_DIR OUT_FILE");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    KeyStore store = KeyStore.getInstance("JKS");
    store.load(null, null);
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    List<Path> pems;
    try (Stream<Path> files = Files.list(dir)) {
      pems = files.filter(p -> p.toString().endsWith(".crt")).sorted().toList();
    }
    for (Path pem : pems) {
      try (InputStream in = Files.newInputStream(pem)) {
        X509Certificate cert = (X509Certificate) x509.generateCertificate(in);
        String name = pem.getFileName().toString().replaceFirst("\\.crt$", ".pem");
        store.setCertificateEntry("debian:" + name.toLowerCase(), cert);
      }
    }
    if (pems.isEmpty()) {
      System.err.println("no .crt files in " + dir);
      System.exit(1);
    }
    Path out = Path.of(args[1]);
    Files.createDirectories(out.getParent());
    try (OutputStream o = Files.newOutputStream(out)) {
      store.store(o, "changeit".toCharArray());
    }
    System.out.println(pems.size() + " CA certificates -> " + out);
  }
}
