-- What the instances of one deployment share while answers are written (src/fleet/).
-- Heartbeats, stream slots and rate buckets are UNLOGGED: they write no WAL, so a check commits
-- without waiting for a disk flush (the bulk of its cost otherwise), and what they hold is
-- worth nothing after a database crash (which empties them): slots and buckets start afresh.

-- Every server instance, with its heartbeat: a stream slot counts while its instance is alive.
CREATE UNLOGGED TABLE fleet_instances (
  id text PRIMARY KEY,
  host text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- One row per answer being written, for the per-user cap across instances.
CREATE UNLOGGED TABLE stream_slots (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  instance_id text NOT NULL,
  taken_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stream_slots_by_user ON stream_slots (user_id);
CREATE INDEX stream_slots_by_instance ON stream_slots (instance_id);

-- Token buckets of the rate limits (questions, uploads, logins), keyed by kind and client.
CREATE UNLOGGED TABLE rate_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX rate_buckets_by_age ON rate_buckets (at);

-- Wrong passwords in a row per account, and until when its logins are refused.
CREATE TABLE login_throttle (
  account text PRIMARY KEY,
  failures integer NOT NULL,
  blocked_until timestamptz,
  at timestamptz NOT NULL
);

-- The one embedded (SQLite) vector index allowed to serve this database's catalog.
CREATE TABLE embedded_index (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  index_id text NOT NULL,
  host text NOT NULL,
  data_dir text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- Takes a stream slot unless the user already has p_limit answers being written on live
-- instances; returns -1 when taken, else how many are being written. The per-user advisory lock
-- serialises a burst of questions (each statement inside sees the slots committed before it,
-- which a single INSERT ... SELECT under READ COMMITTED would not).
CREATE FUNCTION take_stream_slot(p_id text, p_user text, p_instance text, p_limit integer, p_alive_ms integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  writing integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('ragchat:streams:' || p_user));
  SELECT count(*) INTO writing
    FROM stream_slots s JOIN fleet_instances i ON i.id = s.instance_id
    WHERE s.user_id = p_user AND i.seen_at > now() - make_interval(secs => p_alive_ms / 1000.0);
  IF writing >= p_limit THEN
    RETURN writing;
  END IF;
  INSERT INTO stream_slots (id, user_id, instance_id) VALUES (p_id, p_user, p_instance);
  RETURN -1;
END $$;

-- Takes one token from each key's bucket in order, stopping at the first that has none; returns
-- 0 when all were taken, else the seconds until that bucket has one. The row lock of the upsert
-- serialises instances taking from one bucket at once.
CREATE FUNCTION take_rate_tokens(p_keys text[], p_capacity double precision, p_per_second double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  k text;
  have double precision;
BEGIN
  FOREACH k IN ARRAY p_keys LOOP
    INSERT INTO rate_buckets AS b (key, tokens, at) VALUES (k, p_capacity, now())
    ON CONFLICT (key) DO UPDATE SET
      tokens = LEAST(p_capacity, b.tokens + extract(epoch FROM now() - b.at) * p_per_second),
      at = now()
    RETURNING tokens INTO have;
    IF have < 1 THEN
      RETURN (1 - have) / p_per_second;
    END IF;
    UPDATE rate_buckets SET tokens = tokens - 1 WHERE key = k;
  END LOOP;
  RETURN 0;
END $$;
