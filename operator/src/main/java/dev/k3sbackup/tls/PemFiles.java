package dev.k3sbackup.tls;

import dev.k3sbackup.base.SnapshotException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Reads the PEM files an admin points us at, failing with a message that names the flag.
 *
 * <p>K3s writes its etcd client key as SEC1 ({@code EC PRIVATE KEY}); Netty reads only PKCS#8
 * without BouncyCastle, so SEC1 and PKCS#1 keys are rewrapped into PKCS#8 here. The wrapping is
 * plain DER: {@code SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING key }}.
 */
public final class PemFiles {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
  private static final byte[] OID_EC_PUBLIC_KEY = {
      0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
  private static final byte[] RSA_ALGORITHM = {
      0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
      0x01, 0x05, 0x00};

  private PemFiles() {}

  /** Parses every certificate in {@code file}; at least one must be there. */
  public static List<X509Certificate> certificates(String flag, Path file) {
    byte[] bytes = read(flag, file);
    try {
      List<X509Certificate> certs = new ArrayList<>();
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (var c : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
        certs.add((X509Certificate) c);
      }
      if (certs.isEmpty()) {
        throw new CertificateException("no certificate found");
      }
      return certs;
    } catch (CertificateException e) {
      throw SnapshotException.badInput(flag + " " + file + " is not a PEM certificate file ("
          + e.getMessage() + "): point it at the CA bundle, e.g. server-ca.crt");
    }
  }

  /** A trust manager that trusts exactly {@code cas}. */
  public static X509TrustManager trusting(List<X509Certificate> cas) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust store", e);
    }
  }

  /** Returns the private key in {@code file} as a PKCS#8 PEM document, whatever PEM form it had. */
  public static byte[] privateKeyAsPkcs8Pem(String flag, Path file) {
    String text = new String(read(flag, file), StandardCharsets.US_ASCII);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      if (!type.endsWith("PRIVATE KEY")) {
        continue; // EC PARAMETERS and the like precede the key in openssl's output
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        break;
      }
      byte[] pkcs8 = switch (type) {
        case "PRIVATE KEY" -> der;
        case "EC PRIVATE KEY" -> wrapSec1(flag, file, der);
        case "RSA PRIVATE KEY" -> wrap(RSA_ALGORITHM, der);
        default -> throw SnapshotException.badInput(flag + " " + file + " holds a " + type
            + ", which is not supported: give an unencrypted PKCS#8, RSA or EC key");
      };
      String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8);
      return ("-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n")
          .getBytes(StandardCharsets.US_ASCII);
    }
    throw SnapshotException.badInput(flag + " " + file
        + " holds no PEM private key: point it at the client key, e.g. client.key");
  }

  static byte[] read(String flag, Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw SnapshotException.badInput(flag + " " + file + " cannot be read (" + e.getClass()
          .getSimpleName() + "): check the path, or run where the file is readable");
    }
  }

  /** SEC1 {@code ECPrivateKey} carries its curve in {@code [0] parameters}; PKCS#8 wants it outside. */
  private static byte[] wrapSec1(String flag, Path file, byte[] sec1) {
    Der seq = Der.at(sec1, 0);
    int pos = seq.contentStart;
    byte[] curveOid = null;
    while (pos < seq.end()) {
      Der field = Der.at(sec1, pos);
      if ((field.tag & 0xff) == 0xa0) {
        Der oid = Der.at(sec1, field.contentStart);
        curveOid = java.util.Arrays.copyOfRange(sec1, oid.start, oid.end());
      }
      pos = field.end();
    }
    if (curveOid == null) {
      throw SnapshotException.badInput(flag + " " + file
          + " is an EC key without its curve: re-export it with openssl pkcs8 -topk8 -nocrypt");
    }
    ByteArrayOutputStream alg = new ByteArrayOutputStream();
    alg.writeBytes(OID_EC_PUBLIC_KEY);
    alg.writeBytes(curveOid);
    return wrap(Der.encode(0x30, alg.toByteArray()), sec1);
  }

  private static byte[] wrap(byte[] algorithmIdentifier, byte[] key) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(algorithmIdentifier);
    body.writeBytes(Der.encode(0x04, key));
    return Der.encode(0x30, body.toByteArray());
  }

  /** One DER tag-length-value at a position. */
  private record Der(int tag, int start, int contentStart, int length) {
    int end() {
      return contentStart + length;
    }

    static Der at(byte[] b, int pos) {
      int tag = b[pos] & 0xff;
      int len = b[pos + 1] & 0xff;
      int content = pos + 2;
      if (len > 0x80) {
        int n = len & 0x7f;
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (b[content++] & 0xff);
        }
      }
      return new Der(tag, pos, content, len);
    }

    static byte[] encode(int tag, byte[] content) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(tag);
      int len = content.length;
      if (len < 0x80) {
        out.write(len);
      } else if (len < 0x100) {
        out.write(0x81);
        out.write(len);
      } else {
        out.write(0x82);
        out.write(len >> 8);
        out.write(len & 0xff);
      }
      out.writeBytes(content);
      return out.toByteArray();
    }
  }
}
