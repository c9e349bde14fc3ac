package dev.plank.bench;

import java.util.Locale;

/**
 * How a subscriber talks to Plank: its own protocol on {@code /ws}, or Supabase Realtime's Phoenix
 * Channels on {@code /realtime/v1/websocket} (serializer {@code vsn} 1.0.0, JSON objects, or 2.0.0,
 * JSON arrays), as {@code @supabase/realtime-js} speaks them. Immutable.
 */
record Wire(Kind kind, String vsn) {
  /** The protocols {@code --protocol} names. */
  enum Kind {
    PLANK,
    SUPABASE;

    static Kind parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new BenchException("--protocol takes plank or supabase, got '" + text + "'");
      }
    }
  }

  /** What an answer before the subscription is live means. */
  enum Answer {
    LIVE,
    WAIT,
    REFUSED
  }

  /** The topic a Supabase client joins for a table: {@code realtime:<table>}. */
  private static final String TOPIC_PREFIX = "realtime:";

  /** realtime-js sends a heartbeat every 25 s (Phoenix's default {@code heartbeatIntervalMs}). */
  static final long HEARTBEAT_MS = 25_000;

  static final Wire PLANK = new Wire(Kind.PLANK, null);

  Wire {
    if (kind == Kind.SUPABASE && !"1.0.0".equals(vsn) && !"2.0.0".equals(vsn)) {
      throw new BenchException("--vsn takes 1.0.0 or 2.0.0, got '" + vsn + "'");
    }
  }

  static Wire of(Kind kind, String vsn) {
    return kind == Kind.PLANK ? PLANK : new Wire(kind, vsn);
  }

  /** A short label for tables: {@code plank}, {@code supabase 1.0.0}. */
  String label() {
    return kind == Kind.PLANK ? "plank" : "supabase " + vsn;
  }

  String path() {
    return kind == Kind.PLANK ? "/ws" : "/realtime/v1/websocket?vsn=" + vsn;
  }

  /**
   * The subscribe (Plank) or join (Supabase) message for a table's channel. The join's config is
   * what realtime-js sends for {@code channel(t).on('postgres_changes', {event: '*', schema,
   * table})}; the channel name is the table's (public tables) or {@code schema.table}.
   */
  String subscribe(Table table) {
    if (kind == Kind.PLANK) {
      return "{\"action\":\"subscribe\",\"id\":\"s\",\"channel\":\"" + table.channel() + "\"}";
    }
    String payload =
        "{\"config\":{\"broadcast\":{\"ack\":false,\"self\":false},"
            + "\"presence\":{\"key\":\"\",\"enabled\":false},"
            + "\"postgres_changes\":[{\"event\":\"*\",\"schema\":\""
            + table.schema()
            + "\",\"table\":\""
            + table.name()
            + "\"}],\"private\":false}}";
    return message("1", "1", TOPIC_PREFIX + table.channel(), "phx_join", payload);
  }

  /**
   * Classifies a message before the subscription is live. Plank: {@code subscribed}. Supabase: the
   * join's {@code phx_reply} ok, then the {@code system} message "Subscribed to PostgreSQL" with
   * status ok, which Plank sends once changes flow (realtime-js reports {@code SUBSCRIBED} on the
   * reply; the bench waits for both so nothing in between is mistaken for a change).
   */
  Answer answer(String text) {
    if (kind == Kind.PLANK) {
      return text.contains("\"subscribed\"") ? Answer.LIVE : Answer.REFUSED;
    }
    if (text.contains("\"error\"")) return Answer.REFUSED; // a join error or a system error
    if (text.contains("\"system\"") && text.contains("Subscribed to PostgreSQL")) {
      return Answer.LIVE;
    }
    return Answer.WAIT; // the join's ok reply, presence_state, …
  }

  boolean heartbeats() {
    return kind == Kind.SUPABASE;
  }

  /** Phoenix's heartbeat on the {@code phoenix} topic. */
  String heartbeat(long ref) {
    return message(null, Long.toString(ref), "phoenix", "heartbeat", "{}");
  }

  /**
   * Where in a change message to start looking for the row's {@code "name"}: Plank's frames put the
   * new row ({@code data}) first; Supabase's put {@code columns} (whose entries have {@code name}
   * keys) before {@code record}, so the scan starts at {@code record}. -1 when there is none.
   */
  int rowStart(String text) {
    return kind == Kind.PLANK ? 0 : FrameScan.valueOf(text, "record", 0);
  }

  private String message(String joinRef, String ref, String topic, String event, String payload) {
    if ("2.0.0".equals(vsn)) {
      return "["
          + quoted(joinRef)
          + ","
          + quoted(ref)
          + ",\""
          + topic
          + "\",\""
          + event
          + "\","
          + payload
          + "]";
    }
    return "{\"join_ref\":"
        + quoted(joinRef)
        + ",\"ref\":"
        + quoted(ref)
        + ",\"topic\":\""
        + topic
        + "\",\"event\":\""
        + event
        + "\",\"payload\":"
        + payload
        + "}";
  }

  private static String quoted(String s) {
    return s == null ? "null" : '"' + s + '"';
  }
}
