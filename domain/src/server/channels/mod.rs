//! Messaging channels of the unified inbox (WhatsApp, Messenger, Instagram, email).

pub mod email;
pub mod graph;
pub mod intake;
pub mod media;
pub mod meta_signature;
