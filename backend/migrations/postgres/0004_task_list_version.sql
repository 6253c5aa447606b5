-- A per-user change counter, bumped in the same transaction as every insert,
-- update and delete of that user's tasks. A list page built at version N is
-- still exact while the counter reads N, so a replica can keep pages in
-- memory and check one row instead of rebuilding them (tasks/cache.rs);
-- a change made through any replica moves the counter for all of them.
ALTER TABLE task_counts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
DROP TRIGGER task_counts_maintain ON tasks;
CREATE OR REPLACE FUNCTION task_counts_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (user_id, total, completed, version)
            VALUES (NEW.user_id, 1, CASE WHEN NEW.completed THEN 1 ELSE 0 END, 1)
            ON CONFLICT (user_id) DO UPDATE
            SET total = task_counts.total + 1, completed = task_counts.completed + EXCLUDED.completed,
                version = task_counts.version + 1;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE task_counts SET total = total - 1, completed = completed - (CASE WHEN OLD.completed THEN 1 ELSE 0 END),
            version = version + 1
            WHERE user_id = OLD.user_id;
        RETURN OLD;
    END IF;
    UPDATE task_counts SET
        completed = completed + (CASE WHEN NEW.completed = OLD.completed THEN 0 WHEN NEW.completed THEN 1 ELSE -1 END),
        version = version + 1
        WHERE user_id = NEW.user_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER task_counts_maintain AFTER INSERT OR DELETE OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_counts_maintain();
