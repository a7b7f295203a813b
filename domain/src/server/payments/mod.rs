//! Payments: what comes from and goes to the payment provider. So far the check of Stripe's
//! webhook signatures ([`stripe_signature`]); the provider trait, its built-in and Stripe
//! clients and the webhook endpoint follow.

pub mod stripe_signature;
