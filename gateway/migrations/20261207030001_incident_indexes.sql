-- Incident reports read the audit trail by time window, account, address and mission:
-- one index per way in, so that a report over a million events reads only what it needs.
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_actor_at ON audit_events(actor, at);
CREATE INDEX audit_events_ip_at ON audit_events(ip, at);
CREATE INDEX audit_events_mission_at ON audit_events(mission_id, at);
CREATE INDEX audit_events_action_at ON audit_events(action, at);
