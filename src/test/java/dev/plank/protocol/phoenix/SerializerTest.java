package dev.plank.protocol.phoenix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plank.capture.Change;
import dev.plank.capture.RowJson;
import dev.plank.db.ColumnType;
import dev.plank.db.TableInfo;
import dev.plank.db.TableRef;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The two serializers realtime-js speaks, and the shared change encodings. */
class SerializerTest {
  private final ObjectMapper json = new ObjectMapper();

  /** The JSON text inside a whole text frame (header of 2 or 4 bytes). */
  private static String text(byte[] frame) {
    int header = (frame[1] & 0x7f) < 126 ? 2 : 4;
    return new String(Arrays.copyOfRange(frame, header, frame.length), StandardCharsets.UTF_8);
  }

  @Test
  void version2IsAnArrayAndVersion1AnObject() {
    assertThat(Serializer.of("2.0.0")).isEqualTo(Serializer.V2);
    assertThat(Serializer.of("1.0.0")).isEqualTo(Serializer.V1);
    assertThat(Serializer.of(null)).isEqualTo(Serializer.V1);
    assertThat(
            text(
                Serializer.V2.frame(
                    json, "1", "2", "realtime:a", "phx_reply", json.createObjectNode())))
        .isEqualTo("[\"1\",\"2\",\"realtime:a\",\"phx_reply\",{}]");
    assertThat(
            text(
                Serializer.V1.frame(
                    json, null, "2", "phoenix", "phx_reply", json.createObjectNode())))
        .isEqualTo(
            "{\"join_ref\":null,\"ref\":\"2\",\"topic\":\"phoenix\",\"event\":\"phx_reply\",\"payload\":{}}");

    PhoenixMessage v2 =
        Serializer.V2.read(json, "[\"3\",\"4\",\"realtime:x\",\"phx_join\",{\"a\":1}]");
    assertThat(v2)
        .isEqualTo(
            new PhoenixMessage(
                "3", "4", "realtime:x", "phx_join", json.createObjectNode().put("a", 1)));
    PhoenixMessage v1 =
        Serializer.V1.read(
            json, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"5\"}");
    assertThat(v1.joinRef()).isNull();
    assertThat(v1.ref()).isEqualTo("5");
    assertThatThrownBy(() -> Serializer.V2.read(json, "{\"topic\":\"x\"}"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Serializer.V1.read(json, "[1,2,3,4,5]"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Serializer.V1.read(json, "{\"topic\":1,\"event\":\"e\"}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void binaryUserBroadcastPushesAreRead() {
    byte[] topic = "realtime:r".getBytes(StandardCharsets.UTF_8);
    byte[] event = "é".getBytes(StandardCharsets.UTF_8); // multi-byte: lengths are bytes
    byte[] payload = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
    byte[] frame = new byte[7 + 1 + 1 + topic.length + event.length + payload.length];
    int i = 0;
    frame[i++] = 3;
    frame[i++] = 1;
    frame[i++] = 1;
    frame[i++] = (byte) topic.length;
    frame[i++] = (byte) event.length;
    frame[i++] = 0;
    frame[i++] = 1;
    frame[i++] = '1';
    frame[i++] = '9';
    System.arraycopy(topic, 0, frame, i, topic.length);
    i += topic.length;
    System.arraycopy(event, 0, frame, i, event.length);
    i += event.length;
    System.arraycopy(payload, 0, frame, i, payload.length);
    PhoenixMessage message = Serializer.readBinary(json, frame);
    assertThat(message.ref()).isEqualTo("9");
    assertThat(message.topic()).isEqualTo("realtime:r");
    assertThat(message.event()).isEqualTo("broadcast");
    assertThat(message.payload().toString())
        .isEqualTo("{\"type\":\"broadcast\",\"event\":\"é\",\"payload\":{\"n\":1}}");
    assertThatThrownBy(() -> Serializer.readBinary(json, Arrays.copyOf(frame, 9)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Serializer.readBinary(json, new byte[] {4, 0, 0, 0, 0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bindingsGetStableDistinctIdsAndAreValidated() {
    PostgresBinding a =
        PostgresBinding.of(
            json.createObjectNode().put("event", "*").put("schema", "public").put("table", "t"));
    PostgresBinding same =
        PostgresBinding.of(
            json.createObjectNode().put("event", "*").put("schema", "public").put("table", "t"));
    PostgresBinding filtered =
        PostgresBinding.of(
            json.createObjectNode()
                .put("event", "*")
                .put("schema", "public")
                .put("table", "t")
                .put("filter", "id=eq.1"));
    assertThat(a.id()).isEqualTo(same.id()).isPositive().isLessThan(1 << 27);
    assertThat(filtered.id()).isNotEqualTo(a.id());
    assertThat(a.namesOneTable()).isTrue();
    assertThat(
            PostgresBinding.of(
                    json.createObjectNode().put("event", "INSERT").put("schema", "public"))
                .namesOneTable())
        .isFalse();
    assertThatThrownBy(
            () ->
                PostgresBinding.of(
                    json.createObjectNode().put("event", "TRUNCATE").put("schema", "p")))
        .hasMessageContaining("must be *, INSERT, UPDATE or DELETE");
    assertThatThrownBy(() -> PostgresBinding.of(json.createObjectNode().put("event", "*")))
        .hasMessageContaining("needs a 'schema'");
  }

  @Test
  void aChangeCarriesItsBindingIdRowsAndColumnTypes() {
    TableRef table = new TableRef("public", "t");
    TableInfo info =
        new TableInfo(
            table,
            Map.of("id", ColumnType.NUMBER, "tags", ColumnType.TEXT),
            List.of("id"),
            Map.of("id", "int8", "tags", "_text"));
    ChangeFrames frames =
        new ChangeFrames(
            json, Serializer.V2, "realtime:a", 5, new ColumnTypes(() -> Map.of("t", info), json));
    Change delete =
        new Change(
            1,
            2,
            2,
            "2026-01-01T00:00:00.000000Z",
            table,
            Change.Op.DELETE,
            new RowJson("{\"id\":1}"),
            null);
    JsonNode message = read(frames.change(delete));
    assertThat(message.get(2).asText()).isEqualTo("realtime:a");
    assertThat(message.get(3).asText()).isEqualTo("postgres_changes");
    assertThat(message.get(4).path("ids").toString()).isEqualTo("[5]");
    JsonNode data = message.get(4).path("data");
    assertThat(data.path("type").asText()).isEqualTo("DELETE");
    assertThat(data.has("record")).isFalse();
    assertThat(data.path("old_record").toString()).isEqualTo("{\"id\":1}");
    assertThat(data.path("commit_timestamp").asText()).isEqualTo("2026-01-01T00:00:00.000000Z");
    assertThat(data.path("columns"))
        .containsExactlyInAnyOrder(
            json.createObjectNode().put("name", "id").put("type", "int8"),
            json.createObjectNode().put("name", "tags").put("type", "_text"));
    Change update =
        new Change(
            2,
            3,
            3,
            "2026-01-01T00:00:01.000000Z",
            table,
            Change.Op.UPDATE,
            new RowJson("{\"id\":1,\"tags\":[\"a\"]}"),
            new RowJson("{\"id\":1,\"tags\":null}"));
    data = read(frames.change(update)).get(4).path("data");
    assertThat(data.path("record").path("tags").toString()).isEqualTo("[\"a\"]");
    assertThat(data.path("old_record").path("tags").isNull()).isTrue();
  }

  private JsonNode read(byte[] frame) {
    try {
      return json.readTree(text(frame));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void equalBindingsOnOneTopicShareOneEncoding() {
    CodecRegistry codecs = new CodecRegistry(json, new ColumnTypes(() -> null, json));
    ChangeFrames first = codecs.acquire(Serializer.V2, "realtime:a", 7);
    ChangeFrames second = codecs.acquire(Serializer.V2, "realtime:a", 7);
    assertThat(second).isSameAs(first);
    assertThat(codecs.acquire(Serializer.V1, "realtime:a", 7)).isNotSameAs(first);
    assertThat(codecs.acquire(Serializer.V2, "realtime:b", 7)).isNotSameAs(first);
    assertThat(codecs.acquire(Serializer.V2, "realtime:a", 8)).isNotSameAs(first);
    assertThat(codecs.size()).isEqualTo(4);
    codecs.release(Serializer.V2, "realtime:a", 7);
    assertThat(codecs.acquire(Serializer.V2, "realtime:a", 7)).isSameAs(first);
    codecs.release(Serializer.V2, "realtime:a", 7);
    codecs.release(Serializer.V2, "realtime:a", 7);
    assertThat(codecs.acquire(Serializer.V2, "realtime:a", 7)).isNotSameAs(first);
  }
}
