package dev.plank.pubsub;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One presence entry: a member's {@code state} under a {@code key} (several entries may share a
 * key: one user on two devices), told apart by {@code ref}. {@code state} is never modified.
 *
 * @param node the node the member is connected to
 */
public record Presence(String node, String topic, String key, String ref, ObjectNode state) {}
