-- Live updates need nothing new on SQLite: one process owns the file, so
-- the task routes announce each committed write to the streams themselves
-- (events/mod.rs, `announce`), with the version the existing triggers keep.
-- This file keeps both engines' migration numbers in step.
SELECT 1;
