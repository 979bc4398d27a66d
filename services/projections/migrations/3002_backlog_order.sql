-- Each municipality's explicit backlog ranking, as the ordered list (JSON array) of process
-- ids. Kept apart from process_view so that a ranking that arrives before its process (Kafka
-- orders events per aggregate only) is not lost: the rank is applied when the process row
-- appears.
CREATE TABLE backlog_order (
    municipality TEXT PRIMARY KEY,
    ranked       TEXT NOT NULL
);
