package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.auth.Authentication;
import dev.plank.auth.BearerToken;
import dev.plank.auth.Policy;
import dev.plank.auth.Principal;
import dev.plank.auth.TokenException;
import dev.plank.hub.Hub;
import dev.plank.pubsub.PubSub;
import dev.plank.ws.WsConnection;
import dev.plank.ws.WsHandler;
import io.vertx.core.http.HttpServerRequest;

/**
 * Phoenix Channels as Supabase Realtime speaks them (realtime-js 2.x), mounted on {@code
 * /realtime/v1/websocket}: {@code postgres_changes} through the hub, like protocol v1, with the
 * same tokens, policy and bound filters; {@code broadcast} and {@code presence} through {@link
 * PubSub}, on the topic named without its {@code realtime:} prefix (so {@code realtime:room:1} and
 * protocol v1's {@code room:1} are one topic). One {@link PhoenixSession} per connection; the
 * encodings are shared by every connection of the node ({@link CodecRegistry}, {@link
 * TopicFrames}).
 */
public final class PhoenixProtocol implements WsHandler.Factory {
  /** Where Supabase clients connect: {@code <url>/realtime/v1} plus {@code /websocket}. */
  public static final String PATH = "/realtime/v1/websocket";

  private final Hub hub;
  private final ObjectMapper json;
  private final Authentication auth;
  private final Policy policy; // null: every principal reads everything
  private final CodecRegistry codecs;
  private final PubSub pubSub; // null: broadcast and presence are refused
  private final TopicFrames framesV1;
  private final TopicFrames framesV2;
  private final int maxSubscriptions;

  public PhoenixProtocol(
      Hub hub,
      ObjectMapper json,
      Authentication auth,
      Policy policy,
      int maxSubscriptions,
      PubSub pubSub) {
    this.hub = hub;
    this.json = json;
    this.auth = auth;
    this.policy = policy;
    this.maxSubscriptions = maxSubscriptions;
    this.pubSub = pubSub;
    this.framesV1 = new TopicFrames(Serializer.V1, json);
    this.framesV2 = new TopicFrames(Serializer.V2, json);
    this.codecs = new CodecRegistry(json, new ColumnTypes(hub::catalog, json));
  }

  /** Supabase clients send their key as the {@code apikey} parameter; a bearer token also works. */
  @Override
  public String token(HttpServerRequest request) throws TokenException {
    String apikey = request.getParam("apikey");
    if (apikey != null && !apikey.isEmpty()) return apikey;
    return BearerToken.of(request);
  }

  @Override
  public WsHandler open(WsConnection connection, Principal principal) {
    String apikey = connection.queryParam("apikey");
    Serializer serializer = Serializer.of(connection.queryParam("vsn"));
    return new PhoenixSession(
        connection,
        serializer,
        principal,
        apikey,
        new PhoenixSession.Shared(
            hub,
            json,
            auth,
            policy,
            codecs,
            pubSub,
            serializer == Serializer.V2 ? framesV2 : framesV1,
            maxSubscriptions));
  }

  /** The change encodings in use on this node: for tests of the encode-once path. */
  int codecsInUse() {
    return codecs.size();
  }
}
