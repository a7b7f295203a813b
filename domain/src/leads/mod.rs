//! The lead engine's rules, shared by the server and the browser: the score and its bands,
//! routing to SDRs, what the inbox shows, the messaging window, token billing; with the `server`
//! feature also contact normalisation (phone numbers in E.164) and the escalation rules, which
//! read the AI layer's text tools.

pub mod analytics;
pub mod attachment;
pub mod backpressure;
pub mod billing;
pub mod booking;
#[cfg(feature = "server")]
pub mod contact;
pub mod email;
#[cfg(feature = "server")]
pub mod escalation;
pub mod facts;
pub mod import;
pub mod inbox;
pub mod leakage;
pub mod meta;
pub mod reengage;
pub mod reply;
pub mod routing;
pub mod score;
pub mod window;

pub use score::{band, score, FactorKind, LeadScore, Lifecycle, ScoreFactor, ScoreInput};
pub use window::{window, ChannelKind, Window};
