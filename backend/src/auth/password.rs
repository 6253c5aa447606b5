//! Password hashing: argon2id with OWASP's parameters (19 MiB, t=2, p=1) in
//! PHC strings, run off the async executor on a fixed set of worker threads so
//! a burst of sign-ins cannot exhaust memory or starve other requests: at most
//! one hash per worker is in flight, and each worker hashes in one 19 MiB
//! buffer it keeps. (Allocating 19 MiB per hash instead lets glibc's heap grow
//! to hundreds of MiB under a burst: measured 253 MiB for 100 sign-ins.)

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::cell::RefCell;

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use tokio::sync::{oneshot, OnceCell};

use crate::connection::Peer;

/// Memory cost per hash in KiB (OWASP: 19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;

const TIME_COST: u32 = 2;
const OUTPUT_LEN: usize = 32;

fn params(m_cost: u32, t_cost: u32, p_cost: u32, output_len: usize) -> Result<Params, HashError> {
    Params::new(m_cost, t_cost, p_cost, Some(output_len)).map_err(HashError::failed)
}

thread_local! {
    /// The hashing threads' reusable argon2 memory.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2id of `password` with `salt` into `out`, in this thread's buffer.
fn argon2id_into(params: Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), HashError> {
    let blocks = params.block_count();
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() != blocks {
            *memory = vec![Block::default(); blocks];
        }
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .map_err(HashError::failed)
    })
}

/// A new PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
fn hash_phc(password: &[u8]) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut raw_salt).map_err(HashError::failed)?;
    let mut out = [0u8; OUTPUT_LEN];
    argon2id_into(params(MEMORY_KIB, TIME_COST, 1, OUTPUT_LEN)?, password, raw_salt, &mut out)?;
    Ok(format!("$argon2id$v=19$m={MEMORY_KIB},t={TIME_COST},p=1${}${}", salt.as_str(), STANDARD_NO_PAD.encode(out)))
}

/// Whether `password` matches the argon2id PHC string (constant-time compare).
fn verify_phc(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    if parsed.algorithm.as_str() != "argon2id" {
        return false;
    }
    let Ok(stored) = Params::try_from(&parsed) else { return false };
    let Ok(p) = params(stored.m_cost(), stored.t_cost(), stored.p_cost(), expected.len()) else { return false };
    let mut raw_salt = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else { return false };
    let mut out = vec![0u8; expected.len()];
    if argon2id_into(p, password, raw_salt, &mut out).is_err() {
        return false;
    }
    argon2::password_hash::Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Why a password could not be checked: each is a retryable 503.
#[derive(Debug, PartialEq, Eq)]
pub enum HashError {
    /// `MAX_QUEUED` jobs are already waiting.
    Busy,
    /// The job waited `PASSWORD_QUEUE_TIMEOUT` without a thread taking it.
    TimedOut,
    /// The client hung up while the job waited: it was dropped, not run.
    Abandoned,
    Failed(String),
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashError::Busy => f.write_str("password check refused: too many queued"),
            HashError::TimedOut => f.write_str("password check timed out in the queue"),
            HashError::Abandoned => f.write_str("password check dropped: the client left"),
            HashError::Failed(why) => write!(f, "password hashing failed: {why}"),
        }
    }
}

impl HashError {
    fn failed(e: impl std::fmt::Display) -> Self {
        HashError::Failed(e.to_string())
    }
}

const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const GAVE_UP: u8 = 2;

/// Work for a hashing thread, and what it needs to decide whether to run it.
struct Job {
    work: Box<dyn FnOnce() + Send>,
    /// QUEUED until a thread takes it (RUNNING) or its waiter gives up.
    state: Arc<AtomicU8>,
    queued_at: Instant,
    peer: Option<Peer>,
}

/// A job that waited at least this long checks that its client is still
/// connected before it runs (a short wait: surely still there, and the
/// check reads the kernel's connection table).
const CHECK_CLIENT_AFTER: Duration = Duration::from_millis(50);

impl Job {
    /// Runs the job unless its waiter gave up or its client has left.
    fn run(self) {
        if self.state.compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return; // answered 503 already
        }
        if let Some(peer) = self.peer.filter(|_| self.queued_at.elapsed() >= CHECK_CLIENT_AFTER) {
            if !peer.connected() {
                tracing::debug!(?peer, "password check dropped: the client left");
                return; // dropping `work` tells the waiter
            }
        }
        tracing::trace!(waited = ?self.queued_at.elapsed(), "password check runs");
        (self.work)();
    }
}

/// Jobs waiting beyond this are refused (a 503 with `Retry-After`) rather
/// than queued without bound.
const MAX_QUEUED: usize = 1024;

/// Hashing threads run under Linux's SCHED_IDLE policy: whenever a thread
/// serving requests becomes runnable it preempts them at once, so during a
/// sign-in storm the rest of the API keeps its latency, and sign-ins use the
/// cycles left over (SCHED_IDLE still gets a small share when the CPU is
/// saturated, so they never stop). Falls back to nice +19 where the policy
/// is refused. (Per thread on Linux; elsewhere this does nothing.)
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: with pid 0 both calls change only the calling thread's
    // scheduling; `param` is a valid, initialised struct we own.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0
            && libc::setpriority(libc::PRIO_PROCESS, 0, 19) != 0
        {
            tracing::debug!("could not lower the hashing thread's priority");
        }
    }
}

/// Hashes and verifies passwords on `workers` dedicated threads (each holds
/// 19 MiB while hashing). The threads end when the `Hasher` is dropped.
pub struct Hasher {
    jobs: SyncSender<Job>,
    /// `PASSWORD_QUEUE_TIMEOUT`: the longest a job waits for a thread.
    queue_timeout: Duration,
    /// Verified against when the email is unknown, so the answer takes as long.
    dummy: OnceCell<String>,
}

impl Hasher {
    pub fn new(workers: usize, queue_timeout: Duration) -> Self {
        let (jobs, queue) = sync_channel::<Job>(MAX_QUEUED);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..workers.max(1) {
            let queue = queue.clone();
            let worker = move || {
                lower_this_threads_priority();
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job.run(),
                        Err(_) => return, // the Hasher is gone
                    }
                }
            };
            if let Err(e) = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(worker) {
                tracing::error!("cannot start password hashing thread: {e}");
            }
        }
        Self { jobs, queue_timeout, dummy: OnceCell::new() }
    }

    /// Runs CPU-heavy work on a hashing thread and awaits its result: at
    /// most `queue_timeout` for a thread to take it, and nothing at all if
    /// the client (`peer`) has left by the time one does.
    async fn run<T: Send + 'static>(
        &self,
        peer: Option<Peer>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, mut result) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        let job = Job {
            work: Box::new(move || {
                let _ = done.send(work());
            }),
            state: state.clone(),
            queued_at: Instant::now(),
            peer,
        };
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => HashError::failed("hashing threads stopped"),
        })?;
        let abandoned = |_| HashError::Abandoned;
        match tokio::time::timeout(self.queue_timeout, &mut result).await {
            Ok(answer) => answer.map_err(abandoned),
            // Still queued: give up (the thread will skip it). Already running:
            // it is nearly done, so wait for it.
            Err(_) => match state.compare_exchange(QUEUED, GAVE_UP, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => Err(HashError::TimedOut),
                Err(_) => result.await.map_err(abandoned),
            },
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
    pub async fn hash(&self, password: String, peer: Option<Peer>) -> Result<String, HashError> {
        self.run(peer, move || hash_phc(password.as_bytes())).await?
    }

    /// Whether `password` matches `phc`. With `None` (unknown user) it verifies
    /// against a dummy hash and returns false: same cost, same answer.
    pub async fn verify(&self, password: String, phc: Option<String>, peer: Option<Peer>) -> Result<bool, HashError> {
        let known = phc.is_some();
        let phc = match phc {
            Some(phc) => phc,
            None => {
                let dummy = || self.hash("dummy password, never matches".into(), None);
                self.dummy.get_or_try_init(dummy).await?.clone()
            }
        };
        let matched = self.run(peer, move || verify_phc(password.as_bytes(), &phc)).await?;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let hasher = Hasher::new(2, Duration::from_secs(10));
        let phc = hasher.hash("correct horse".into(), None).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse".into(), Some(phc.clone()), None).await.unwrap());
        assert!(!hasher.verify("wrong horse".into(), Some(phc), None).await.unwrap());
    }

    #[test]
    fn our_hashes_verify_with_the_reference_implementation_and_back() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_phc(b"pw-123456").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw-123456", &parsed).is_ok());

        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default().hash_password(b"pw-123456", &salt).unwrap().to_string();
        assert!(verify_phc(b"pw-123456", &theirs), "hashes with other parameters still verify");
        assert!(!verify_phc(b"pw-1234567", &theirs));
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = Hasher::new(1, Duration::from_secs(10));
        assert!(!hasher.verify("dummy password, never matches".into(), None, None).await.unwrap());
        assert!(!hasher.verify("anything".into(), Some("not a phc string".into()), None).await.unwrap());
    }

    /// Occupies the only hashing thread until `release` is sent.
    fn block_the_thread(hasher: &Hasher) -> std::sync::mpsc::Sender<()> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let job = Job {
            work: Box::new(move || {
                let _ = started.send(());
                let _ = wait.recv();
            }),
            state: Arc::new(AtomicU8::new(QUEUED)),
            queued_at: Instant::now(),
            peer: None,
        };
        assert!(hasher.jobs.try_send(job).is_ok());
        running.recv().unwrap();
        release
    }

    #[tokio::test]
    async fn a_job_that_waits_past_the_timeout_is_refused_and_never_run() {
        let hasher = Hasher::new(1, Duration::from_millis(100));
        let release = block_the_thread(&hasher);
        let ran = Arc::new(AtomicU8::new(0));
        let flag = ran.clone();
        let started = Instant::now();
        let answer = hasher.run(None, move || flag.store(1, Ordering::SeqCst)).await;
        assert_eq!(answer, Err(HashError::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(5), "answered at the timeout, not when a thread was free");
        release.send(()).unwrap();
        // The thread is free again: a new job runs; the refused one did not.
        assert_eq!(hasher.run(None, || 7).await, Ok(7));
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the refused job was skipped");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_job_whose_client_left_is_dropped_not_run() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server_side, remote) = listener.accept().unwrap();
        let peer = Peer::new(listener.local_addr().unwrap().port(), remote);

        let hasher = Hasher::new(1, Duration::from_secs(30));
        let release = block_the_thread(&hasher);
        let ran = Arc::new(AtomicU8::new(0));
        let flag = ran.clone();
        let queued = hasher.run(Some(peer), move || flag.store(1, Ordering::SeqCst));
        let hang_up = async {
            tokio::time::sleep(CHECK_CLIENT_AFTER).await; // the job has waited long enough to be checked
            drop(client);
            server_side.read_to_end(&mut Vec::new()).unwrap();
            release.send(()).unwrap();
        };
        let (answer, ()) = tokio::join!(queued, hang_up);
        assert_eq!(answer, Err(HashError::Abandoned));
        assert_eq!(ran.load(Ordering::SeqCst), 0, "not run for a client that left");
    }
}
