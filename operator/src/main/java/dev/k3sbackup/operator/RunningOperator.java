package dev.k3sbackup.operator;

import dev.k3sbackup.nodescan.NodeScans;
import dev.k3sbackup.monitoring.BackupMetrics;
import dev.k3sbackup.monitoring.BackupResourceWatch;
import dev.k3sbackup.monitoring.MetricsServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * One started operator process: the reconcilers (JOSDK), the adoption scans (while leading), the
 * resource watch behind the metrics, and the HTTP server of metrics and probes. Closing stops all
 * of it.
 */
public final class RunningOperator implements AutoCloseable {

  private final Operator operator;
  private final NodeScans adoption;
  private final BackupResourceWatch watch;
  private final MetricsServer http;
  private final BackupMetrics metrics;
  private final PrometheusMeterRegistry registry;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  RunningOperator(Operator operator, NodeScans adoption, BackupResourceWatch watch,
      MetricsServer http, BackupMetrics metrics, PrometheusMeterRegistry registry) {
    this.operator = operator;
    this.adoption = adoption;
    this.watch = watch;
    this.http = http;
    this.metrics = metrics;
    this.registry = registry;
  }

  public Operator operator() {
    return operator;
  }

  /** The port of /metrics, /healthz and /readyz. */
  public int httpPort() {
    return http.port();
  }

  /** Whether this replica acts (always, without leader election). */
  public boolean leading() {
    return metrics.isLeader();
  }

  /** Whether this replica scans for snapshots to adopt (only while leading). */
  public boolean adopting() {
    return adoption.running();
  }

  /** The metrics as /metrics serves them. */
  public String scrape() {
    watch.refresh();
    return registry.scrape();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    adoption.stop();
    operator.stop();
    watch.close();
    http.close();
    registry.close();
  }
}
