//! Why a bearer token was refused.

/// Logged at debug level, never sent to the client (every refusal is the
/// same 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    NotBearer,
    TooLarge,
    Malformed,
    NoKid,
    UnknownKid,
    AlgorithmNotAllowed,
    Invalid(String),
    EmptySubject,
}
