-- A refresh token family keeps the audiences (RFC 8707 resources) its
-- first access token was issued for, as a JSON array of strings. Families
-- from before have '[]': the service gives them the default audience,
-- which is the one every access token had then.

ALTER TABLE refresh_tokens ADD COLUMN audiences TEXT NOT NULL DEFAULT '[]';
