package dev.plank.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * Logback's JSON encoder (one object per line, its own escaping), trimmed for log shippers: the
 * formatted message rather than the pattern and its arguments, no logger-context block, and the
 * node's id as a top-level {@code "node"} field.
 */
public final class NodeJsonEncoder extends JsonEncoder {
  public NodeJsonEncoder() {
    setWithContext(false);
    setWithNanoseconds(false);
    setWithMessage(false);
    setWithArguments(false);
    setWithFormattedMessage(true);
  }

  @Override
  protected void appendCustomFields(StringBuilder sb, ILoggingEvent event) {
    String node = event.getLoggerContextVO().getPropertyMap().get(LogSetup.NODE_PROPERTY);
    if (node == null) return;
    sb.append(",\"node\":\"");
    JsonStringEncoder.getInstance().quoteAsString(node, sb);
    sb.append('"');
  }
}
