//! Password hashing: argon2id with OWASP's parameters (19 MiB, t=2, p=1) in
//! PHC strings, run off the async executor on a fixed set of worker threads so
//! a burst of sign-ins cannot exhaust memory or starve other requests: at most
//! one hash per worker is in flight, and each worker hashes in one 19 MiB
//! buffer it keeps. (Allocating 19 MiB per hash instead lets glibc's heap grow
//! to hundreds of MiB under a burst: measured 253 MiB for 100 sign-ins.)

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use std::cell::RefCell;

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use tokio::sync::{oneshot, OnceCell};

/// Memory cost per hash in KiB (OWASP: 19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;

const TIME_COST: u32 = 2;
const OUTPUT_LEN: usize = 32;

fn params(m_cost: u32, t_cost: u32, p_cost: u32, output_len: usize) -> Result<Params, HashError> {
    Params::new(m_cost, t_cost, p_cost, Some(output_len)).map_err(|e| HashError(e.to_string()))
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
            .map_err(|e| HashError(e.to_string()))
    })
}

/// A new PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
fn hash_phc(password: &[u8]) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut raw_salt).map_err(|e| HashError(e.to_string()))?;
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

#[derive(Debug)]
pub struct HashError(String);

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "password hashing failed: {}", self.0)
    }
}

type Job = Box<dyn FnOnce() + Send>;

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
    /// Verified against when the email is unknown, so the answer takes as long.
    dummy: OnceCell<String>,
}

impl Hasher {
    pub fn new(workers: usize) -> Self {
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
                        Ok(job) => job(),
                        Err(_) => return, // the Hasher is gone
                    }
                }
            };
            if let Err(e) = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(worker) {
                tracing::error!("cannot start password hashing thread: {e}");
            }
        }
        Self { jobs, dummy: OnceCell::new() }
    }

    /// Runs CPU-heavy work on a hashing thread and awaits its result.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError("too many password checks queued".into()),
            TrySendError::Disconnected(_) => HashError("hashing threads stopped".into()),
        })?;
        result.await.map_err(|_| HashError("hashing thread failed".into()))
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_phc(password.as_bytes())).await?
    }

    /// Whether `password` matches `phc`. With `None` (unknown user) it verifies
    /// against a dummy hash and returns false: same cost, same answer.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, HashError> {
        let known = phc.is_some();
        let phc = match phc {
            Some(phc) => phc,
            None => self.dummy.get_or_try_init(|| self.hash("dummy password, never matches".into())).await?.clone(),
        };
        let matched = self.run(move || verify_phc(password.as_bytes(), &phc)).await?;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let hasher = Hasher::new(2);
        let phc = hasher.hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse".into(), Some(phc.clone())).await.unwrap());
        assert!(!hasher.verify("wrong horse".into(), Some(phc)).await.unwrap());
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
        let hasher = Hasher::new(1);
        assert!(!hasher.verify("dummy password, never matches".into(), None).await.unwrap());
        assert!(!hasher.verify("anything".into(), Some("not a phc string".into())).await.unwrap());
    }
}
