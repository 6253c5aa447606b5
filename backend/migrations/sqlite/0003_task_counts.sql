-- How many tasks each user has, and how many are completed, kept by
-- triggers in the same transaction as every change: the list's total
-- (X-Total-Count) is one row read instead of a count over all of a user's
-- tasks.
CREATE TABLE task_counts (
    user_id   TEXT   PRIMARY KEY,
    total     BIGINT NOT NULL,
    completed BIGINT NOT NULL
);
INSERT INTO task_counts (user_id, total, completed)
    SELECT user_id, COUNT(*), SUM(CASE WHEN completed THEN 1 ELSE 0 END) FROM tasks GROUP BY user_id;
CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (user_id, total, completed)
        VALUES (NEW.user_id, 1, CASE WHEN NEW.completed THEN 1 ELSE 0 END)
        ON CONFLICT (user_id) DO UPDATE SET total = total + 1, completed = completed + excluded.completed;
END;
CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET total = total - 1, completed = completed - (CASE WHEN OLD.completed THEN 1 ELSE 0 END)
        WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER task_counts_update AFTER UPDATE OF completed ON tasks WHEN OLD.completed <> NEW.completed BEGIN
    UPDATE task_counts SET completed = completed + (CASE WHEN NEW.completed THEN 1 ELSE -1 END)
        WHERE user_id = NEW.user_id;
END;
