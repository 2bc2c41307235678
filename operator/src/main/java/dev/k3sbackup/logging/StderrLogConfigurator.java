package dev.k3sbackup.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging set up in code rather than XML (parsing logback.xml costs a CLI run a noticeable part
 * of its start-up): one line per event on stderr, so stdout stays for command output. Our own
 * messages at INFO (or {@code K3S_ETCD_BACKUP_LOG_LEVEL}), libraries at WARN.
 * {@code LOG_FORMAT=json} makes each line a JSON object ({@link JsonLineEncoder}); the default,
 * {@code text}, is time, level and message. A logback.xml on the class path (or
 * {@code -Dlogback.configurationFile}) still takes precedence.
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
    configure(context, System.getenv()::get);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Sets up {@code context} from the environment variables {@code env} gives. */
  static void configure(LoggerContext context, Function<String, String> env) {
    Encoder<ILoggingEvent> encoder = encoder(context, env.apply("LOG_FORMAT"));
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
    String level = env.apply("K3S_ETCD_BACKUP_LOG_LEVEL");
    context.getLogger("dev.k3sbackup").setLevel(Level.toLevel(level, Level.INFO));
  }

  /**
   * What K3s's {@code etcd-snapshot} logging flags ask: {@code debug} raises our level to DEBUG;
   * {@code logFile} sends the log there instead of stderr, or as well with {@code alsoStderr}.
   * Closing the result undoes it (the CLI also runs in-process, in tests). Does nothing under a
   * logging set up elsewhere (a logback.xml).
   */
  public static AutoCloseable applyCliFlags(boolean debug, java.nio.file.Path logFile,
      boolean alsoStderr) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return () -> { };
    }
    ch.qos.logback.classic.Logger ours = context.getLogger("dev.k3sbackup");
    Level before = ours.getLevel();
    if (debug) {
      ours.setLevel(Level.DEBUG);
    }
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.Appender<ILoggingEvent> stderr = root.getAppender("stderr");
    ch.qos.logback.core.FileAppender<ILoggingEvent> file = null;
    if (logFile != null) {
      file = new ch.qos.logback.core.FileAppender<>();
      file.setContext(context);
      file.setName("file");
      file.setFile(logFile.toString());
      file.setAppend(true);
      file.setEncoder(encoder(context, System.getenv("LOG_FORMAT")));
      file.start();
      root.addAppender(file);
      if (!alsoStderr && stderr != null) {
        root.detachAppender(stderr);
      }
    }
    ch.qos.logback.core.FileAppender<ILoggingEvent> added = file;
    return () -> {
      ours.setLevel(before);
      if (added != null) {
        root.detachAppender(added);
        added.stop();
        if (stderr != null && root.getAppender("stderr") == null) {
          root.addAppender(stderr);
        }
      }
    };
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, String format) {
    String f = format == null || format.isBlank() ? "text" : format.trim().toLowerCase();
    if (f.equals("json")) {
      JsonLineEncoder json = new JsonLineEncoder();
      json.setContext(context);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern("%d{HH:mm:ss.SSS} %-5level %msg%n");
    text.start();
    if (!f.equals("text")) {
      // logging is not up yet: say it on stderr, once, and go on in text
      System.err.println("LOG_FORMAT '" + format + "' is not known: use text or json; "
          + "logging as text");
    }
    return text;
  }
}
