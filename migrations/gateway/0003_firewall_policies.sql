-- Per-team and per-API-key prompt firewall overrides: {"mode": ..., "actions": {"detector": action}}.
-- Null means "inherit" (key -> team -> global SLUICE_FIREWALL_MODE).
ALTER TABLE teams ADD COLUMN firewall jsonb;
ALTER TABLE api_keys ADD COLUMN firewall jsonb;
