-- Sign-in throttling counts attempts before it checks them. login_failures
-- recorded failures after the check, so concurrent attempts all passed one
-- check; it is replaced by throttle_counters, one row per key (an
-- (account, address) pair, an address, an account, an identity's second
-- factor, an identity's challenges), read and written under the row's
-- lock in one transaction (see auth.Store UpdateThrottleCounters). The
-- failures it held are throttling state a quarter of an hour long, not
-- history, and are dropped with it. Same conventions as 0001: BIGINT
-- microseconds, 0 for a time never set.

DROP TABLE login_failures;

CREATE TABLE throttle_counters (
	throttle_key TEXT    PRIMARY KEY,
	attempts     INTEGER NOT NULL CHECK (attempts >= 0),
	since        BIGINT  NOT NULL,
	last_at      BIGINT  NOT NULL,
	until_at     BIGINT  NOT NULL
);
CREATE INDEX throttle_counters_last_idx ON throttle_counters (last_at);
