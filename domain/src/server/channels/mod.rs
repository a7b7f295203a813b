//! Messaging channels of the unified inbox (WhatsApp, Messenger, Instagram, email).

pub mod meta_signature;
