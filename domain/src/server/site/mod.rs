//! The marketing site on the server: storage of pages, revisions and reusable blocks
//! ([`editor`]), what visitors get ([`public`]), leads and conversion events ([`leads`]), rich
//! text sanitising ([`sanitize`]), the process cache of published pages ([`cache`]) and the
//! demo content ([`seed`]).

pub mod cache;
pub mod editor;
pub mod intake;
pub mod leads;
pub mod media;
pub mod public;
pub mod sanitize;
pub mod seed;

use super::Services;

/// Content changed: forget cached pages here at once, and tell every other instance.
pub(crate) async fn changed(svc: &Services) {
    svc.site.invalidate();
    super::events::publish_site_changed(svc).await;
}
