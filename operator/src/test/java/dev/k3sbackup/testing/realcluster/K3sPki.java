package dev.k3sbackup.testing.realcluster;

import dev.k3sbackup.testing.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The certificates, keys and token of a K3s server, made with openssl and laid out as K3s lays
 * them out under {@code ${data-dir}/server}: the cluster's CAs ({@code tls/client-ca},
 * {@code tls/server-ca}, {@code tls/request-header-ca}, {@code tls/etcd/server-ca},
 * {@code tls/etcd/peer-ca}), the service-account key ({@code tls/service.key}), each server's
 * own serving and client pairs, and {@code token} ({@code K10<ca hash>::server:<password>}).
 * Keys are EC P-256 in SEC1 form ({@code EC PRIVATE KEY}) and each leaf certificate file holds
 * the leaf followed by its CA, as K3s writes them.
 *
 * <p>The CAs are made once per cluster ({@link #createCluster}); every server of the cluster
 * copies them, as K3s servers share them through the bootstrap data, and gets its own leaves
 * ({@link #issueServer}).
 */
public final class K3sPki {

  private final Path clusterDir;

  private K3sPki(Path clusterDir) {
    this.clusterDir = clusterDir;
  }

  /** Makes a cluster's CAs, service-account key and token under {@code dir}. */
  public static K3sPki createCluster(Path dir) {
    try {
      Path tls = Files.createDirectories(dir.resolve("tls/etcd"));
      ca(dir.resolve("tls"), "client-ca", "k3s-client-ca");
      ca(dir.resolve("tls"), "server-ca", "k3s-server-ca");
      ca(dir.resolve("tls"), "request-header-ca", "k3s-request-header-ca");
      ca(tls, "server-ca", "etcd-server-ca");
      ca(tls, "peer-ca", "etcd-peer-ca");
      openssl("genrsa", "-out", dir.resolve("tls/service.key").toString(), "2048");
      byte[] password = new byte[16];
      new SecureRandom().nextBytes(password);
      String caHash = Processes.run("sh", "-c",
          "sha256sum < '" + dir.resolve("tls/server-ca.crt") + "' | cut -d' ' -f1")
          .output().trim();
      Files.writeString(dir.resolve("token"),
          "K10" + caHash + "::server:" + HexFormat.of().formatHex(password) + "\n");
      return new K3sPki(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Gives the server whose K3s data dir is {@code dataDir} the cluster's CAs and token and its
   * own pairs: the API server's serving certificate for {@code address}, the admin, controller
   * and scheduler client pairs, and etcd's server, client and peer pairs.
   */
  public void issueServer(Path dataDir, String nodeName, String address) {
    try {
      Path server = Files.createDirectories(dataDir.resolve("server"));
      copyTree(clusterDir, server);
      Path tls = server.resolve("tls");
      String apiSans = "subjectAltName=DNS:kubernetes,DNS:kubernetes.default,"
          + "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,"
          + "DNS:" + nodeName + ",IP:127.0.0.1,IP:10.43.0.1,IP:" + address;
      leaf(tls, "server-ca", "serving-kube-apiserver", "/CN=kube-apiserver",
          apiSans + "\nextendedKeyUsage=serverAuth\n");
      leaf(tls, "client-ca", "client-admin", "/O=system:masters/CN=system:admin",
          "extendedKeyUsage=clientAuth\n");
      leaf(tls, "client-ca", "client-controller", "/CN=system:kube-controller-manager",
          "extendedKeyUsage=clientAuth\n");
      leaf(tls, "client-ca", "client-scheduler", "/CN=system:kube-scheduler",
          "extendedKeyUsage=clientAuth\n");
      leaf(tls, "client-ca", "client-kube-apiserver", "/CN=kube-apiserver",
          "extendedKeyUsage=clientAuth\n");
      leaf(tls, "request-header-ca", "client-auth-proxy", "/CN=system:auth-proxy",
          "extendedKeyUsage=clientAuth\n");
      Path etcd = tls.resolve("etcd");
      String etcdSans = "subjectAltName=DNS:localhost,DNS:" + nodeName + ",IP:127.0.0.1,IP:"
          + address;
      leaf(etcd, "server-ca", "server-client", "/CN=etcd-server",
          etcdSans + "\nextendedKeyUsage=serverAuth,clientAuth\n");
      leaf(etcd, "server-ca", "client", "/CN=etcd-client", "extendedKeyUsage=clientAuth\n");
      leaf(etcd, "peer-ca", "peer-server-client", "/CN=etcd-peer",
          etcdSans + "\nextendedKeyUsage=serverAuth,clientAuth\n");
      Path cred = Files.createDirectories(server.resolve("cred"));
      kubeconfig(cred.resolve("admin.kubeconfig"), tls, "client-admin", "https://127.0.0.1:6443");
      kubeconfig(cred.resolve("controller.kubeconfig"), tls, "client-controller",
          "https://127.0.0.1:6443");
      kubeconfig(cred.resolve("scheduler.kubeconfig"), tls, "client-scheduler",
          "https://127.0.0.1:6443");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A kubeconfig for the admin of the server at {@code address} (as K3s writes
   * {@code k3s.yaml}, but pointing at the node's address so that it works from outside it).
   */
  public static void adminKubeconfig(Path target, Path dataDir, String address)
      throws IOException {
    kubeconfig(target, dataDir.resolve("server/tls"), "client-admin",
        "https://" + address + ":6443");
  }

  private static void kubeconfig(Path target, Path tls, String pair, String server)
      throws IOException {
    Files.writeString(target, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: default
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: default
          user:
            client-certificate: %s
            client-key: %s
        contexts:
        - name: default
          context: {cluster: default, user: default}
        current-context: default
        """.formatted(server, tls.resolve("server-ca.crt"), tls.resolve(pair + ".crt"),
        tls.resolve(pair + ".key")));
  }

  private static void ca(Path dir, String name, String cn) {
    Path key = dir.resolve(name + ".key");
    ecKey(key);
    openssl("req", "-x509", "-new", "-key", key.toString(), "-subj", "/CN=" + cn + "@"
        + System.currentTimeMillis() / 1000, "-days", "3650", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,"
        + "digitalSignature", "-out", dir.resolve(name + ".crt").toString());
  }

  private static void leaf(Path dir, String ca, String name, String subject, String extensions)
      throws IOException {
    Path key = dir.resolve(name + ".key");
    Path csr = dir.resolve(name + ".csr");
    Path ext = dir.resolve(name + ".ext");
    ecKey(key);
    Files.writeString(ext, "keyUsage=critical,digitalSignature,keyEncipherment\n" + extensions);
    openssl("req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
    openssl("x509", "-req", "-in", csr.toString(), "-CA", dir.resolve(ca + ".crt").toString(),
        "-CAkey", dir.resolve(ca + ".key").toString(), "-CAcreateserial", "-days", "3650",
        "-out", dir.resolve(name + ".crt").toString(), "-extfile", ext.toString());
    Files.delete(csr);
    Files.delete(ext);
    // K3s writes each leaf followed by its CA: readers of these files meet a chain
    Files.writeString(dir.resolve(name + ".crt"), Files.readString(dir.resolve(ca + ".crt")),
        java.nio.file.StandardOpenOption.APPEND);
  }

  private static void ecKey(Path key) {
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
  }

  private static void openssl(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "openssl";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Processes.run(cmd);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
