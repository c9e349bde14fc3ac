package dev.plank.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import dev.plank.config.DeploySettings;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Applies the node's logging settings to logback, once the settings are known: the node id that
 * every line carries, and the JSON format. Process-wide: call it from the command, before the node
 * starts (lines said before it carry the default id {@code plank}).
 */
public final class LogSetup {
  /** The logback context property that {@code logback.xml}'s pattern and the JSON encoder read. */
  public static final String NODE_PROPERTY = "node";

  private LogSetup() {}

  public static void apply(DeploySettings deploy) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
    // A context property, not the MDC: the MDC is per thread, and Netty's threads never see ours.
    context.putProperty(NODE_PROPERTY, deploy.nodeId());
    if (deploy.logFormat() == DeploySettings.LogFormat.JSON) useJson(context);
  }

  private static void useJson(LoggerContext context) {
    for (OutputStreamAppender<ILoggingEvent> appender : outputAppenders(context)) {
      NodeJsonEncoder encoder = new NodeJsonEncoder();
      encoder.setContext(context);
      encoder.start();
      // Stopped while the encoder is swapped, so that no line goes out half in each format.
      appender.stop();
      appender.setEncoder(encoder);
      appender.start();
    }
  }

  @SuppressWarnings("unchecked")
  private static List<OutputStreamAppender<ILoggingEvent>> outputAppenders(LoggerContext context) {
    List<OutputStreamAppender<ILoggingEvent>> found = new ArrayList<>();
    for (var logger : context.getLoggerList()) {
      for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
        Appender<ILoggingEvent> appender = it.next();
        if (appender instanceof OutputStreamAppender<?> out && !found.contains(out)) {
          found.add((OutputStreamAppender<ILoggingEvent>) out);
        }
      }
    }
    return found;
  }
}
