package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Map;

/**
 * The node's {@link ChangeFrames}, one per (serializer, topic, binding id) while some connection
 * uses it, so that equal bindings share one encoding. Any thread (guarded by its own monitor).
 */
final class CodecRegistry {
  private record Key(Serializer serializer, String topic, int bindingId) {}

  private static final class Entry {
    final ChangeFrames codec;
    int users;

    Entry(ChangeFrames codec) {
      this.codec = codec;
    }
  }

  private final ObjectMapper json;
  private final ColumnTypes columns;
  private final Map<Key, Entry> codecs = new HashMap<>(); // guarded by this

  CodecRegistry(ObjectMapper json, ColumnTypes columns) {
    this.json = json;
    this.columns = columns;
  }

  synchronized ChangeFrames acquire(Serializer serializer, String topic, int bindingId) {
    Entry entry =
        codecs.computeIfAbsent(
            new Key(serializer, topic, bindingId),
            k -> new Entry(new ChangeFrames(json, serializer, topic, bindingId, columns)));
    entry.users++;
    return entry.codec;
  }

  /**
   * One user fewer. A subscription still in the hub keeps its codec; only a later acquirer gets a
   * fresh one, which at worst encodes a change twice.
   */
  synchronized void release(Serializer serializer, String topic, int bindingId) {
    Key key = new Key(serializer, topic, bindingId);
    Entry entry = codecs.get(key);
    if (entry != null && --entry.users <= 0) codecs.remove(key);
  }

  synchronized int size() {
    return codecs.size();
  }
}
