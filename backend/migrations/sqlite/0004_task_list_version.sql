-- A per-user change counter, bumped in the same transaction as every insert,
-- update and delete of that user's tasks. A list page built at version N is
-- still exact while the counter reads N, so a replica can keep pages in
-- memory and check one row instead of rebuilding them (tasks/cache.rs);
-- a change made through any replica moves the counter for all of them.
ALTER TABLE task_counts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
DROP TRIGGER task_counts_insert;
DROP TRIGGER task_counts_delete;
DROP TRIGGER task_counts_update;
CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (user_id, total, completed, version)
        VALUES (NEW.user_id, 1, CASE WHEN NEW.completed THEN 1 ELSE 0 END, 1)
        ON CONFLICT (user_id) DO UPDATE
        SET total = total + 1, completed = completed + excluded.completed, version = version + 1;
END;
CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET total = total - 1, completed = completed - (CASE WHEN OLD.completed THEN 1 ELSE 0 END),
        version = version + 1
        WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER task_counts_update AFTER UPDATE ON tasks BEGIN
    UPDATE task_counts SET
        completed = completed + (CASE WHEN NEW.completed = OLD.completed THEN 0 WHEN NEW.completed THEN 1 ELSE -1 END),
        version = version + 1
        WHERE user_id = NEW.user_id;
END;
