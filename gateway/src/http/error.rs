//! `AppError`: every refusal as a status code and `{"error": code, "message": text}`.
//!
//! Messages are written for people, in the caller's language (French unless `Accept-Language`
//! prefers English). 5xx bodies stay generic; the detail goes to the log.

use crate::service::{Error, Lang, Text};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

tokio::task_local! {
    /// The language of the request being served.
    pub static LANG: Lang;
}

/// The language of the current request.
pub(crate) fn current_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// What kind of refusal an answer is, kept so that the pages can say it in their own way
/// (the web's `PageError`) without re-reading status codes and machine codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Refusal {
    /// The anti-forgery (CSRF) token is missing or wrong.
    Csrf,
    /// The caller's role does not allow the operation.
    Role,
    /// Absent, or not visible to the caller.
    NotFound,
    /// The mission is suspended.
    MissionSuspended,
    /// Outside the mission's access hours.
    OutsideAccessHours,
    /// The service is locked down (503).
    LockedDown,
    /// An unexpected failure (already logged).
    Unexpected,
    /// Any other refusal, whose message says what to fix.
    Other,
}

/// An error answer.
#[derive(Debug)]
pub(crate) struct AppError {
    refusal: Refusal,
    status: StatusCode,
    code: &'static str,
    message: Text,
    retry_after: Option<u64>,
    content_range: Option<String>,
    violations: Option<Vec<crate::domain::Violation>>,
}

impl AppError {
    /// An answer with an explicit status, code and message.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: Text) -> Self {
        Self {
            refusal: Refusal::Other,
            status,
            code,
            message,
            retry_after: None,
            content_range: None,
            violations: None,
        }
    }

    /// 400 `invalid_request` for a malformed request.
    pub(crate) fn bad_request(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Text::new(fr, en),
        )
    }

    /// 404 `not_found`.
    pub(crate) fn not_found() -> Self {
        Error::NotFound.into()
    }

    /// 403 `forbidden`: a cookie-authenticated state change without the session's CSRF token.
    pub(crate) fn csrf() -> Self {
        let mut err = Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Text::new(
                "Jeton anti-falsification (CSRF) absent ou invalide : rechargez la page.",
                "Missing or invalid anti-forgery (CSRF) token: reload the page.",
            ),
        );
        err.refusal = Refusal::Csrf;
        err
    }

    /// What kind of refusal this is.
    pub(crate) fn refusal(&self) -> Refusal {
        self.refusal
    }

    /// The machine code.
    pub(crate) fn code(&self) -> &'static str {
        self.code
    }

    /// The status code.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The message, in the current request's language.
    pub(crate) fn message(&self) -> &str {
        self.message.get(current_lang())
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        use StatusCode as S;
        let refusal = match &e {
            Error::Forbidden => Refusal::Role,
            Error::NotFound => Refusal::NotFound,
            Error::MissionSuspended => Refusal::MissionSuspended,
            Error::OutsideAccessHours => Refusal::OutsideAccessHours,
            Error::LockedDown => Refusal::LockedDown,
            Error::Unexpected(_) => Refusal::Unexpected,
            _ => Refusal::Other,
        };
        let (status, code, message) = match e {
            Error::InvalidCredentials => (
                S::UNAUTHORIZED,
                "invalid_credentials",
                Text::new(
                    "Identifiant ou mot de passe incorrect.",
                    "Wrong username or password.",
                ),
            ),
            Error::InvalidChallenge => (
                S::UNAUTHORIZED,
                "invalid_challenge",
                Text::new(
                    "Cette étape de connexion a expiré ou a déjà servi : recommencez la connexion.",
                    "This login step has expired or was already used: start the login again.",
                ),
            ),
            Error::TooManyAttempts { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60);
                let mut err = AppError::new(
                    S::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    Text::new(
                        format!("Trop de tentatives infructueuses : réessayez dans {minutes} minute(s)."),
                        format!("Too many failed attempts: try again in {minutes} minute(s)."),
                    ),
                );
                err.retry_after = Some(retry_after_secs.max(1));
                return err;
            }
            Error::WeakPassword(w) => (
                S::UNPROCESSABLE_ENTITY,
                "weak_password",
                Text::new(w.message_fr(), w.message_en()),
            ),
            Error::SamePassword => (
                S::UNPROCESSABLE_ENTITY,
                "weak_password",
                Text::new(
                    "Le nouveau mot de passe doit être différent de l'actuel.",
                    "The new password must differ from the current one.",
                ),
            ),
            Error::InvalidCode => (
                S::UNAUTHORIZED,
                "invalid_code",
                Text::new(
                    "Code incorrect, expiré ou déjà utilisé.",
                    "Wrong, expired or already used code.",
                ),
            ),
            Error::Unauthenticated => (
                S::UNAUTHORIZED,
                "unauthenticated",
                Text::new(
                    "Vous n'êtes pas connecté, ou votre session a expiré : connectez-vous.",
                    "You are not signed in, or your session has expired: sign in.",
                ),
            ),
            Error::Forbidden => (
                S::FORBIDDEN,
                "forbidden",
                Text::new(
                    "Votre rôle ne permet pas cette opération.",
                    "Your role does not allow this operation.",
                ),
            ),
            Error::ForbiddenRule(text) => (S::FORBIDDEN, "forbidden", text),
            Error::NotFound => (
                S::NOT_FOUND,
                "not_found",
                Text::new("Introuvable.", "Not found."),
            ),
            Error::MissionSuspended => (
                S::LOCKED,
                "mission_suspended",
                Text::new(
                    "La mission est suspendue : aucune opération sur ses fichiers n'est possible pour l'instant.",
                    "The mission is suspended: no file operation is possible for now.",
                ),
            ),
            Error::OutsideAccessHours => (
                S::FORBIDDEN,
                "outside_access_hours",
                Text::new(
                    "Les fichiers de cette mission ne sont accessibles qu'aux jours et heures fixés par la convention.",
                    "This mission's files are only accessible on the days and hours set by the agreement.",
                ),
            ),
            Error::TooLarge(limit) => (
                S::PAYLOAD_TOO_LARGE,
                "too_large",
                Text::new(
                    format!(
                        "Le fichier dépasse la taille maximale autorisée ({}) : rien n'a été enregistré.",
                        admin_ui::Lang::Fr.size_limit(limit)
                    ),
                    format!(
                        "The file exceeds the maximum size allowed ({}): nothing was stored.",
                        admin_ui::Lang::En.size_limit(limit)
                    ),
                ),
            ),
            Error::RangeNotSatisfiable(size) => {
                let mut err = AppError::new(
                    S::RANGE_NOT_SATISFIABLE,
                    "invalid_request",
                    Text::new(
                        "La plage d'octets demandée est hors du fichier.",
                        "The requested byte range lies outside the file.",
                    ),
                );
                err.content_range = Some(format!("bytes */{size}"));
                return err;
            }
            Error::DisclosureCheckFailed(violations) => {
                let n = violations.len();
                let mut err = AppError::new(
                    S::CONFLICT,
                    "disclosure_check_failed",
                    Text::new(
                        format!("Le contrôle de confidentialité a échoué ({n} cellule(s) en cause) : ce résultat ne peut pas être mis à disposition en l'état."),
                        format!("The disclosure check failed ({n} cell(s) at fault): this result cannot be released as it stands."),
                    ),
                );
                err.violations = Some(violations);
                return err;
            }
            Error::InvalidRequest(text) => (S::UNPROCESSABLE_ENTITY, "invalid_request", text),
            Error::OutOfBounds(text) => (S::BAD_REQUEST, "invalid_request", text),
            Error::Conflict(text) => (S::CONFLICT, "conflict", text),
            Error::LockedDown => (
                S::SERVICE_UNAVAILABLE,
                "service_locked_down",
                crate::service::lockdown::locked_down_text(),
            ),
            Error::Unexpected(e) => {
                tracing::error!(error = ?e, "unexpected error");
                (
                    S::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    Text::new(
                        "Une erreur interne est survenue ; elle a été consignée. Réessayez plus tard.",
                        "An internal error occurred and was logged. Please try again later.",
                    ),
                )
            }
        };
        let mut err = AppError::new(status, code, message);
        err.refusal = refusal;
        err
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = super::views::ErrorBody {
            error: self.code,
            message: self.message.get(current_lang()).to_owned(),
            violations: self.violations,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let Some(range) = self
            .content_range
            .and_then(|r| HeaderValue::from_str(&r).ok())
        {
            response.headers_mut().insert(header::CONTENT_RANGE, range);
        }
        if self.status == StatusCode::UNAUTHORIZED && self.code == "unauthenticated" {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Result of a handler.
pub(crate) type ApiResult<T> = Result<T, AppError>;
