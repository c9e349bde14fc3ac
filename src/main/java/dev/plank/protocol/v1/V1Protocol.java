package dev.plank.protocol.v1;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.auth.Authentication;
import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.hub.Hub;
import dev.plank.pubsub.PubSub;
import dev.plank.ws.WsConnection;
import dev.plank.ws.WsHandler;

/**
 * Protocol v1 (JSON text frames), mounted on {@code /ws}: one {@link V1Session} per connection, all
 * sharing one {@link V1Codec}, so that a change is encoded once for every v1 client.
 */
public final class V1Protocol implements WsHandler.Factory {
  private final Hub hub;
  private final ObjectMapper json;
  private final V1Codec codec;
  private final Authentication auth;
  private final Policy policy; // null: every principal reads everything
  private final PubSub pubSub; // null: no broadcast and presence

  public V1Protocol(Hub hub, ObjectMapper json, Authentication auth) {
    this(hub, json, auth, null);
  }

  public V1Protocol(Hub hub, ObjectMapper json, Authentication auth, Policy policy) {
    this(hub, json, auth, policy, null);
  }

  public V1Protocol(Hub hub, ObjectMapper json, Authentication auth, Policy policy, PubSub pubSub) {
    this.policy = policy;
    this.pubSub = pubSub;
    this.hub = hub;
    this.json = json;
    this.codec = new V1Codec(json);
    this.auth = auth;
  }

  @Override
  public WsHandler open(WsConnection connection, Principal principal) {
    return new V1Session(connection, hub, json, codec, auth, principal, policy, pubSub);
  }
}
