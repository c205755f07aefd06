-- Outgoing e-mail, shared by every instance: the mailer queues each message here, and whichever
-- instance holds the mail lock (an advisory lock on PostgreSQL) sends it over SMTP or writes it
-- to the outbox folder, then marks it sent and blanks its body. Failures are retried with a
-- growing delay. Sent rows are purged after a week.
CREATE TABLE outgoing_mail (
    id TEXT PRIMARY KEY,
    recipient_name TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX outgoing_mail_due ON outgoing_mail (sent_at, next_attempt_at);
