-- How far each projection has read; committed in the same transaction as its read-model rows.
CREATE TABLE projection_checkpoints (
    projection TEXT   PRIMARY KEY,
    position   BIGINT NOT NULL
);
