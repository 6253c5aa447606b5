-- Live updates (events/): every change of a task is announced with
-- NOTIFY on the channel `task_events`, from the trigger that bumps the
-- user's version, so the notification is part of the write's transaction:
-- sent only if it commits, and in commit order. Every replica LISTENs and
-- forwards it to its open streams. The payload carries the new version and,
-- while it fits well under PostgreSQL's 8000-byte limit, the task as the
-- API shows it; otherwise only its id, and the listener reads the row.
CREATE OR REPLACE FUNCTION task_counts_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed tasks;
    new_version BIGINT;
    kind TEXT;
    note TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (user_id, total, completed, version)
            VALUES (NEW.user_id, 1, CASE WHEN NEW.completed THEN 1 ELSE 0 END, 1)
            ON CONFLICT (user_id) DO UPDATE
            SET total = task_counts.total + 1, completed = task_counts.completed + EXCLUDED.completed,
                version = task_counts.version + 1
            RETURNING version INTO new_version;
        changed := NEW;
        kind := 'c';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE task_counts SET total = total - 1, completed = completed - (CASE WHEN OLD.completed THEN 1 ELSE 0 END),
            version = version + 1
            WHERE user_id = OLD.user_id
            RETURNING version INTO new_version;
        PERFORM pg_notify('task_events',
            json_build_object('u', OLD.user_id, 'k', 'd', 'v', new_version, 'id', OLD.id)::text);
        RETURN OLD;
    ELSE
        UPDATE task_counts SET
            completed = completed + (CASE WHEN NEW.completed = OLD.completed THEN 0 WHEN NEW.completed THEN 1 ELSE -1 END),
            version = version + 1
            WHERE user_id = NEW.user_id
            RETURNING version INTO new_version;
        changed := NEW;
        kind := 'u';
    END IF;
    note := json_build_object('u', changed.user_id, 'k', kind, 'v', new_version, 'id', changed.id,
        'task', json_build_object(
            'id', changed.id, 'user_id', changed.user_id, 'title', changed.title,
            'description', changed.description, 'completed', changed.completed,
            'created_at', to_char(TIMESTAMP 'epoch' + changed.created_at * INTERVAL '1 millisecond',
                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'updated_at', to_char(TIMESTAMP 'epoch' + changed.updated_at * INTERVAL '1 millisecond',
                'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text;
    IF octet_length(note) > 7900 THEN
        note := json_build_object('u', changed.user_id, 'k', kind, 'v', new_version, 'id', changed.id)::text;
    END IF;
    PERFORM pg_notify('task_events', note);
    RETURN NEW;
END
$$;
