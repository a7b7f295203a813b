//! One error for client and server: user-meaningful variants and one opaque `Internal`.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// A problem with one form field, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's name (`email`, `password`, …).
    pub field: String,
    /// What to fix, in words for the person filling in the form.
    pub message: String,
}

impl FieldError {
    /// A field error from its field name and message.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every error a person or API client can see. Internal causes are logged on the server and never
/// sent: `Internal` carries no text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (or is not visible to the asker).
    #[error("We could not find that.")]
    NotFound,
    /// Nobody is signed in.
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Someone is signed in but may not do this.
    #[error("You do not have access to this.")]
    Forbidden,
    /// Input failed validation; one entry per field.
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    /// The person's role requires two-factor sign-in and they have not set it up yet: everything
    /// but setting it up (and signing out) waits until they have.
    #[error("Your role requires two-factor authentication. Set it up to continue.")]
    TwoFactorSetupRequired,
    /// The account uses two-factor sign-in and no code was given (JSON API).
    #[error("This account uses two-factor authentication: send the 6-digit code from the authenticator app as `code`.")]
    TwoFactorRequired,
    /// The email/password pair did not match. Same answer for an unknown email.
    #[error("That email and password do not match.")]
    InvalidCredentials,
    /// The request conflicts with the current state (for example a stale or reused token).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after the given number of seconds.
    #[error("Too many attempts. Please wait {retry_after_secs} seconds and try again.")]
    RateLimited {
        /// Seconds until the next attempt is accepted.
        retry_after_secs: u64,
    },
    /// The service is catching up with a backlog and defers this; try again after the given
    /// number of seconds. The message says what waits and why.
    #[error("{message}")]
    Busy {
        /// What is deferred, in words for the person asking.
        message: String,
        /// Seconds until it is worth asking again.
        retry_after_secs: u64,
    },
    /// The request itself was malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Something failed on our side. Details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    /// A validation error for a single field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The message for one field, when this is a validation error that names it.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }

    /// The seconds a client should wait before asking again (`Retry-After`), when this says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs }
            | Self::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unauthorized | Self::InvalidCredentials | Self::TwoFactorRequired => 401,
            Self::Forbidden | Self::TwoFactorSetupRequired => 403,
            Self::Validation(_) => 422,
            Self::Conflict(_) => 409,
            Self::RateLimited { .. } => 429,
            Self::Busy { .. } => 503,
            Self::BadRequest(_) => 400,
            Self::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::BadRequest(format!("The request could not be read: {m}"))
            }
            ServerFnErrorErr::MissingArg(m) => Self::BadRequest(format!("Missing field: {m}")),
            _ => Self::Internal,
        }
    }
}

/// Collects field errors while parsing a form, so a person sees every problem at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed value, or records the error under `field`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }

    /// Records an error under `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_carry_no_detail() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::ServerError("db password".into()));
        assert_eq!(e, AppError::Internal);
        assert!(!e.to_string().contains("db"));
    }

    #[test]
    fn validator_collects_every_field() {
        let mut v = Validator::new();
        v.check::<(), _>("email", Err("Enter an email address."));
        v.add("password", "Too short.");
        let e = v.finish().unwrap_err();
        assert_eq!(e.message_for("email"), Some("Enter an email address."));
        assert_eq!(e.message_for("password"), Some("Too short."));
        assert_eq!(e.status(), 422);
    }
}
