//! SQLite's one writer per process (group commit): write requests queue
//! here, and whatever is waiting runs as one transaction — a failing write
//! rolls back alone (a write of several statements in a savepoint of its
//! own; a single statement is undone by SQLite itself) — and every request
//! is answered after its batch committed. One lock holder instead of up to
//! a pool's worth of connections sleeping in SQLite's busy handler, and one
//! WAL sync per batch instead of one per write. A write that finds nothing
//! else waiting runs as it would without the writer: one statement, its own
//! transaction.
//!
//! Reads never wait for it: they use the pool (WAL readers see the last
//! commit). Other processes writing the same file still queue on SQLite's
//! lock as before (busy timeout).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rocket::futures::future::BoxFuture;
use rocket::futures::FutureExt as _;
use sqlx::{Executor, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// Writes waiting beyond this make callers wait to queue (back-pressure).
const QUEUE: usize = 1024;
/// The most writes one transaction takes.
pub const MAX_BATCH: usize = 256;

/// Tells a write's caller how its batch ended: `None` committed, else why not.
type Reply = Box<dyn FnOnce(Option<String>) + Send>;
/// One queued write: runs on the writer's connection inside the batch's
/// transaction, says whether it succeeded, and how to answer its caller.
type Work = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (Did, Reply)> + Send>;

/// How a write went: `Failed(true)` when SQLite refused a statement (it
/// undid that statement's changes itself), `Failed(false)` for anything
/// else (decoding the rows, say), after which what the statement changed is
/// still there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Did {
    Ok,
    Failed(bool),
}

struct Job {
    work: Work,
    /// One statement: atomic by itself, so it needs no savepoint, and alone
    /// it needs no transaction either.
    one_statement: bool,
}

/// The writer of one pool: started on first use; ends when the last handle
/// is dropped.
#[derive(Clone, Default)]
pub struct Writer {
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
    stats: Arc<BatchStats>,
}

/// How writes were batched since start-up (README "Benchmarks").
#[derive(Default)]
pub struct BatchStats {
    batches: AtomicU64,
    writes: AtomicU64,
    largest: AtomicU64,
    by_size: [AtomicU64; SIZE_BUCKETS],
}

/// Batches counted by size: 1, 2–3, 4–7, …, 128 and more.
pub const SIZE_BUCKETS: usize = 8;

fn bucket(size: usize) -> usize {
    (usize::BITS - 1 - size.max(1).leading_zeros()).min(SIZE_BUCKETS as u32 - 1) as usize
}

/// A snapshot of [`BatchStats`]: transactions, the writes they held, the
/// most one held, and how many held 1, 2–3, 4–7, …, 128 or more writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Batching {
    pub batches: u64,
    pub writes: u64,
    pub largest: u64,
    pub by_size: [u64; SIZE_BUCKETS],
}

impl Writer {
    /// Runs `work` (any number of statements, all or nothing) as part of
    /// the next batch; its result once that batch has committed (an `Err` of
    /// `work`'s own, or the batch's failure).
    pub async fn write<T, F>(&self, pool: &SqlitePool, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send + 'static,
    {
        self.queue(pool, work, false).await
    }

    /// Like [`Writer::write`] for `work` that runs exactly one statement.
    pub async fn write_statement<T, F>(&self, pool: &SqlitePool, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send + 'static,
    {
        self.queue(pool, work, true).await
    }

    async fn queue<T, F>(&self, pool: &SqlitePool, work: F, one_statement: bool) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let work: Work = Box::new(move |conn| {
            Box::pin(async move {
                let result = work(conn).await;
                let did = match &result {
                    Ok(_) => Did::Ok,
                    Err(e) => Did::Failed(matches!(e, sqlx::Error::Database(_))),
                };
                // A failed batch fails every write in it, with its own reason:
                // a write's own error may come from a neighbour rolled back too.
                let reply: Reply = Box::new(move |failed| {
                    let _ = answer.send(match failed {
                        Some(why) => Err(sqlx::Error::Protocol(format!("the batch did not commit: {why}"))),
                        None => result,
                    });
                });
                (did, reply)
            })
        });
        let job = Job { work, one_statement };
        let queue = self.queue.get_or_init(|| {
            let (queue, jobs) = mpsc::channel(QUEUE);
            tokio::spawn(serve(pool.clone(), jobs, self.stats.clone()));
            queue
        });
        queue.send(job).await.map_err(|_| sqlx::Error::PoolClosed)?;
        // Dropped unanswered: the batch could not start (no connection).
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }

    /// Writes waiting for the batch after the one running.
    pub fn queued(&self) -> usize {
        self.queue.get().map(|q| q.max_capacity() - q.capacity()).unwrap_or(0)
    }

    pub fn batching(&self) -> Batching {
        let s = &self.stats;
        Batching {
            batches: s.batches.load(Ordering::Relaxed),
            writes: s.writes.load(Ordering::Relaxed),
            largest: s.largest.load(Ordering::Relaxed),
            by_size: std::array::from_fn(|i| s.by_size[i].load(Ordering::Relaxed)),
        }
    }
}

async fn serve(pool: SqlitePool, mut jobs: mpsc::Receiver<Job>, stats: Arc<BatchStats>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.writes.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats.largest.fetch_max(batch.len() as u64, Ordering::Relaxed);
        stats.by_size[bucket(batch.len())].fetch_add(1, Ordering::Relaxed);
        // A connection per batch, not one kept: the pool can close at
        // shutdown, and a broken connection is not reused.
        match pool.acquire().await {
            Ok(mut conn) => {
                if !run(&mut conn, batch).await {
                    // Still inside a transaction it could not end: never
                    // back into the pool, where a write would run inside it.
                    drop(conn.detach());
                }
            }
            Err(e) => tracing::error!("the SQLite writer has no connection: {e}"),
        }
    }
}

/// One transaction for `batch`: when there are several writes, each of
/// several statements in a savepoint of its own. If nothing succeeded the
/// transaction is rolled back (a lone write may have changed rows before it
/// failed); if a savepoint cannot be ended, or a failed statement took the
/// transaction with it (SQLite does on a full disk or an I/O error), all of
/// it is, and every write of the batch fails. `false` if the connection
/// may still be inside the transaction (a `ROLLBACK` failed).
async fn run(conn: &mut SqliteConnection, mut batch: Vec<Job>) -> bool {
    if batch.len() == 1 && batch[0].one_statement {
        // Nothing to share a transaction with: autocommit, as without a writer.
        if let Some(Job { work, .. }) = batch.pop() {
            if let Ok((_, reply)) = AssertUnwindSafe(work(conn)).catch_unwind().await {
                reply(None);
            }
        }
        return true;
    }
    if let Err(e) = (&mut *conn).execute("BEGIN IMMEDIATE").await {
        tracing::error!("the SQLite writer cannot begin: {e}");
        return true; // the jobs are dropped: each caller gets an error
    }
    let savepoints = batch.len() > 1;
    let mut replies = Vec::with_capacity(batch.len());
    let (mut kept, mut broken) = (false, None);
    for Job { work, one_statement } in batch {
        let savepoint = savepoints && !one_statement;
        if savepoint {
            if let Err(e) = (&mut *conn).execute("SAVEPOINT write").await {
                broken = Some(e);
                break;
            }
        }
        // A panicking write takes the batch down (its caller's answer is
        // dropped, the others are told).
        let Ok((did, reply)) = AssertUnwindSafe(work(&mut *conn)).catch_unwind().await else {
            broken = Some(sqlx::Error::Protocol("a write panicked".into()));
            break;
        };
        replies.push(reply);
        kept |= did == Did::Ok;
        let ended = match (savepoint, did) {
            (true, Did::Failed(_)) => end_failed_savepoint(conn).await,
            (true, Did::Ok) => (&mut *conn).execute("RELEASE write").await.map(|_| ()),
            (false, Did::Failed(false)) => {
                Err(sqlx::Error::Protocol("a statement's changes stayed after its write failed".into()))
            }
            (false, Did::Failed(true)) if !in_transaction(conn).await => {
                Err(sqlx::Error::Protocol("a failed statement rolled the transaction back".into()))
            }
            (false, _) => Ok(()),
        };
        if let Err(e) = ended {
            broken = Some(e);
            break;
        }
    }
    let (failed, clean) = match (broken, kept) {
        (Some(e), _) => {
            tracing::error!("the SQLite writer rolls a batch back: {e}");
            (Some(e.to_string()), rollback(conn).await)
        }
        // Nothing to keep: each write is told its own error.
        (None, false) => (None, rollback(conn).await),
        (None, true) => match (&mut *conn).execute("COMMIT").await {
            Ok(_) => (None, true),
            Err(e) => {
                tracing::error!("the SQLite writer's batch did not commit: {e}");
                (Some(e.to_string()), rollback(conn).await)
            }
        },
    };
    for reply in replies {
        reply(failed.clone());
    }
    clean
}

async fn end_failed_savepoint(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    (&mut *conn).execute("ROLLBACK TO write").await?;
    (&mut *conn).execute("RELEASE write").await.map(|_| ())
}

/// Whether `conn` is inside a transaction (`sqlite3_get_autocommit` is 0).
async fn in_transaction(conn: &mut SqliteConnection) -> bool {
    match conn.lock_handle().await {
        // SAFETY: the handle is locked for the call, so nothing else uses the
        // connection meanwhile; sqlite3_get_autocommit only reads a flag.
        Ok(mut handle) => unsafe { rusqlite::ffi::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) == 0 },
        Err(_) => false,
    }
}

/// Rolls back; `false` if that failed and a transaction is still open.
async fn rollback(conn: &mut SqliteConnection) -> bool {
    match (&mut *conn).execute("ROLLBACK").await {
        Ok(_) => true,
        Err(e) => {
            tracing::error!("the SQLite writer cannot roll back: {e}");
            !in_transaction(conn).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn batch_sizes_fall_in_power_of_two_buckets() {
        let buckets: Vec<usize> = [1, 2, 3, 4, 7, 8, 16, 64, 127, 128, 256].into_iter().map(super::bucket).collect();
        assert_eq!(buckets, [0, 1, 1, 2, 2, 3, 4, 6, 6, 7, 7]);
    }
}
