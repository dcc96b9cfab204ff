-- The example's sqlite source: `incident-db` in nautilus.yaml reads it read-only.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT
);
INSERT INTO incidents (id, title, severity, status, assignee) VALUES
    (1, 'Checkout latency above SLO', 'high', 'open', NULL),
    (2, 'Nightly export failed', 'medium', 'open', 'support-bot'),
    (3, 'Typo on pricing page', 'low', 'closed', NULL),
    (4, 'Escalated billing dispute', 'high', 'open', 'billing-team');
