package dev.k3sbackup.cli;

import dev.k3sbackup.etcd.EtcdEndpoint;
import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.base.K3sLayout;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How to reach etcd; unset flags take K3s's own client settings under the data dir. */
public class EtcdOptions {

  @Option(names = "--endpoints", description = "The one etcd endpoint to snapshot "
      + "(default: " + EtcdEndpoint.K3S_ENDPOINT + ")")
  String endpoints;

  @Option(names = "--cacert",
      description = "etcd CA (default: $${data-dir}/server/tls/etcd/server-ca.crt)")
  Path caCert;

  @Option(names = "--cert",
      description = "etcd client certificate (default: $${data-dir}/server/tls/etcd/client.crt)")
  Path cert;

  @Option(names = "--key",
      description = "etcd client key (default: $${data-dir}/server/tls/etcd/client.key)")
  Path key;

  @Option(names = "--etcd-timeout", defaultValue = "30s",
      description = "How long to wait for etcd to answer (default: ${DEFAULT-VALUE})")
  String timeout;

  /**
   * The endpoint: {@code --endpoints}, else {@code $K3S_ETCD_BACKUP_ENDPOINT} (for a node whose
   * etcd does not listen where K3s's does), else K3s's.
   */
  EtcdEndpoint endpoint(K3sLayout layout, java.util.Map<String, String> env) {
    EtcdEndpoint k3s = EtcdEndpoint.k3sDefaults(layout);
    String given = endpoints != null ? endpoints : env.get("K3S_ETCD_BACKUP_ENDPOINT");
    return new EtcdEndpoint(
        given == null ? k3s.url() : EtcdEndpoint.parseEndpoint(given),
        caCert != null ? caCert : k3s.caCert(),
        cert != null ? cert : k3s.clientCert(),
        key != null ? key : k3s.clientKey());
  }

  Duration timeout() {
    return GoDuration.parse("--etcd-timeout", timeout);
  }
}
