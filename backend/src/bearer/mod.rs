//! The task API's request guard: a bearer JWT verified against a
//! [`KeySource`] (this server's key store, or a remote JWKS such as a real
//! Better Auth server's), and the path's `<user_id>` matched against the
//! token's `sub` (docs/ARCHITECTURE.md, "The task guard").
//!
//! Nothing here knows the auth server: it implements [`KeySource`] for its
//! key store, and `lib.rs` wires the two together.

mod cache;
mod guard;
mod header;
mod policy;
mod rejection;
mod remote;
mod ring;
mod state;

pub use guard::Owner;
pub use header::{bearer_token, MAX_TOKEN_BYTES};
pub use rejection::Rejection;
pub(crate) use remote::RemoteJwks;
pub use ring::{verify, Expectations, KeyRing, Verified};
pub(crate) use state::{BearerState, KeySource};
