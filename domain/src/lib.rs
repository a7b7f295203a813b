//! Fluxorae's domain: the types and rules every part of the platform shares.
//!
//! Without the `server` feature this crate compiles to wasm, so the browser parses input with the
//! same rules the server enforces. The `server` feature adds what needs Postgres and Redis:
//! queries, password hashing, tokens, the audit chain, and the demo seed.

pub mod ai;
pub mod automation;
pub mod error;
pub mod invoice;
pub mod leads;
pub mod ledger;
pub mod money;
pub mod permissions;
pub mod project;
pub mod roles;
pub mod site;
pub mod talent;
pub mod two_factor;
pub mod types;
pub mod user;
pub mod workspace;

#[cfg(feature = "server")]
pub mod server;

pub use error::{AppError, FieldError, Validator};
