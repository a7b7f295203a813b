//! Payments: the provider behind one trait ([`provider`]: built-in and Stripe), Stripe's
//! webhook signatures ([`stripe_signature`]) and its events ([`webhook`]).

pub mod provider;
pub mod stripe_signature;
pub mod webhook;
