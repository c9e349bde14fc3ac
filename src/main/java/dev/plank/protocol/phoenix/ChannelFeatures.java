package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plank.auth.Principal;

/**
 * Where a Phoenix channel's {@code broadcast} and {@code presence} go: this protocol serves {@code
 * postgres_changes} itself and hands everything else of a joined channel to these features, so a
 * pub/sub component plugs in here without touching the session. {@link #NONE} answers that they are
 * not available. Called on the connection's event loop.
 */
public interface ChannelFeatures {

  /**
   * A channel joined (or is joining: its {@code postgres_changes} may still be subscribing).
   *
   * @param config the join's {@code config} object ({@code broadcast}, {@code presence}, ...)
   * @return the channel's handler, told of its messages until it closes
   */
  Channel joined(Outlet outlet, JsonNode config);

  /** What a feature may do on its channel; any thread. */
  interface Outlet {
    /** The topic without its {@code realtime:} prefix, as Supabase names channels. */
    String channelName();

    /** Who the channel acts for now (a renewed token replaces it). */
    Principal principal();

    /** Pushes a server message on the channel ({@code broadcast}, {@code presence_diff}, ...). */
    void push(String event, JsonNode payload);

    /** Answers a client message that carried a ref. */
    void reply(String ref, String status, JsonNode response);
  }

  /** One joined channel's share of the features. */
  interface Channel {
    /** A client message on the channel other than join, leave, heartbeat and token renewal. */
    void onMessage(String event, JsonNode payload, String ref);

    /** The channel closed (left, replaced, or its connection ended). */
    void closed();
  }

  /** No broadcast, no presence: a message that expects an answer gets an error. */
  ChannelFeatures NONE =
      (outlet, config) ->
          new Channel() {
            @Override
            public void onMessage(String event, JsonNode payload, String ref) {
              if (ref == null) return;
              ObjectNode response =
                  JsonNodeFactory.instance
                      .objectNode()
                      .put("reason", "'" + event + "' is not available on this server");
              outlet.reply(ref, "error", response);
            }

            @Override
            public void closed() {}
          };
}
