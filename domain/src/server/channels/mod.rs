//! Messaging channels of the unified inbox (WhatsApp, Messenger, Instagram, email).

pub mod intake;
pub mod meta_signature;
