package dev.plank.protocol.phoenix;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One Phoenix Channels message, as either serializer carries it.
 *
 * @param joinRef the ref of the join that opened the channel, or null
 * @param ref the message's own ref, echoed in its reply, or null
 * @param payload a JSON object (never null once read: a missing payload is an empty object)
 */
record PhoenixMessage(String joinRef, String ref, String topic, String event, JsonNode payload) {}
