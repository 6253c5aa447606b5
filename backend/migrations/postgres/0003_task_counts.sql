-- How many tasks each user has, and how many are completed, kept by a
-- trigger in the same transaction as every change: the list's total
-- (X-Total-Count) is one row read instead of a count over all of a user's
-- tasks.
CREATE TABLE task_counts (
    user_id   TEXT   PRIMARY KEY,
    total     BIGINT NOT NULL,
    completed BIGINT NOT NULL
);
INSERT INTO task_counts (user_id, total, completed)
    SELECT user_id, COUNT(*), COUNT(*) FILTER (WHERE completed) FROM tasks GROUP BY user_id;
CREATE FUNCTION task_counts_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (user_id, total, completed)
            VALUES (NEW.user_id, 1, CASE WHEN NEW.completed THEN 1 ELSE 0 END)
            ON CONFLICT (user_id) DO UPDATE
            SET total = task_counts.total + 1, completed = task_counts.completed + EXCLUDED.completed;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE task_counts SET total = total - 1, completed = completed - (CASE WHEN OLD.completed THEN 1 ELSE 0 END)
            WHERE user_id = OLD.user_id;
        RETURN OLD;
    ELSIF NEW.completed IS DISTINCT FROM OLD.completed THEN
        UPDATE task_counts SET completed = completed + (CASE WHEN NEW.completed THEN 1 ELSE -1 END)
            WHERE user_id = NEW.user_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER task_counts_maintain AFTER INSERT OR DELETE OR UPDATE OF completed ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_counts_maintain();
