-- Version 3: broadcast and presence across nodes (dev.plank.pubsub).
-- Never edit an applied migration: add V4__….sql.

-- Each node's heartbeat: a node whose `seen` is older than PLANK_PRESENCE_EXPIRY is taken for dead,
-- and the other nodes drop its presence entries. UNLOGGED: after a crash nothing here is worth
-- keeping, and the heartbeats cost no WAL.
CREATE UNLOGGED TABLE IF NOT EXISTS plank.pubsub_nodes (
  node text PRIMARY KEY,
  seen timestamptz NOT NULL
);

-- Every node's presence entries, so that a node that starts (or whose listener reconnects) learns
-- the state it missed. Changes to it are announced on the channel plank_pubsub.
CREATE UNLOGGED TABLE IF NOT EXISTS plank.presence (
  node  text NOT NULL,
  ref   text NOT NULL,
  topic text NOT NULL,
  key   text NOT NULL,
  state jsonb NOT NULL,
  PRIMARY KEY (node, ref)
);

-- Sends a broadcast to every member of the topic on every node, when the calling transaction
-- commits (NOTIFY is transactional: nothing is sent on rollback).
CREATE OR REPLACE FUNCTION plank.broadcast(topic text, event text, payload jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  message text;
BEGIN
  IF topic IS NULL OR topic = '' OR event IS NULL OR event = '' THEN
    RAISE EXCEPTION 'plank.broadcast: topic and event are required';
  END IF;
  message := json_build_object('k', 'b', 't', topic, 'e', event,
                               'p', coalesce(payload, 'null'::jsonb))::text;
  IF octet_length(message) > 7999 THEN
    RAISE EXCEPTION 'plank.broadcast: message of % bytes is over NOTIFY''s 8000-byte limit',
      octet_length(message);
  END IF;
  PERFORM pg_notify('plank_pubsub', message);
END
$fn$;
