package dev.k3sbackup.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Logging set up in code rather than XML (parsing logback.xml costs a CLI run a noticeable part
 * of its start-up): one line per event on stderr, so stdout stays for command output. Our own
 * messages at INFO (or {@code K3S_ETCD_BACKUP_LOG_LEVEL}), libraries at WARN. A logback.xml on
 * the class path (or {@code -Dlogback.configurationFile}) still takes precedence.
 */
public final class StderrLogConfigurator extends ContextAwareBase implements Configurator {

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    ClassLoader loader = StderrLogConfigurator.class.getClassLoader();
    if (System.getProperty("logback.configurationFile") != null
        || loader.getResource("logback-test.xml") != null
        || loader.getResource("logback.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY; // logback's own configurators read that file
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("stderr");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(stderr);
    // fabric8 warns that our own CRDs' version is v1alpha1: we know, and users need not read it
    context.getLogger("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils")
        .setLevel(Level.ERROR);
    String level = System.getenv("K3S_ETCD_BACKUP_LOG_LEVEL");
    context.getLogger("dev.k3sbackup").setLevel(Level.toLevel(level, Level.INFO));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
