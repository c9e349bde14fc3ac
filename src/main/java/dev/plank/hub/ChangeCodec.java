package dev.plank.hub;

import dev.plank.capture.Change;

/**
 * One protocol's encoding of a change, as its connections write it (for a WebSocket protocol, a
 * whole frame). The hub encodes each change at most once per codec and hands the same bytes to
 * every matching subscriber of that codec, so codecs are compared by identity: one instance per
 * protocol per node.
 */
public interface ChangeCodec {
  /** The encoded change; shared by every subscriber that gets it, so never modified. */
  byte[] change(Change change);
}
