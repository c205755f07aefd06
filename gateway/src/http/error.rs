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
pub fn current_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// An error answer.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: Text,
    retry_after: Option<u64>,
    content_range: Option<String>,
    violations: Option<Vec<serde_json::Value>>,
}

impl AppError {
    /// An answer with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: Text) -> Self {
        Self {
            status,
            code,
            message,
            retry_after: None,
            content_range: None,
            violations: None,
        }
    }

    /// 400 `invalid_request` for a malformed request.
    pub fn bad_request(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Text::new(fr, en),
        )
    }

    /// 404 `not_found`.
    pub fn not_found() -> Self {
        Error::NotFound.into()
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message, in the current request's language.
    pub fn message(&self) -> &str {
        self.message.get(current_lang())
    }

    /// The failed disclosure rules, when a release was refused for them.
    pub fn violations(&self) -> &[serde_json::Value] {
        self.violations.as_deref().unwrap_or_default()
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        use StatusCode as S;
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
        AppError::new(status, code, message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "error": self.code,
            "message": self.message.get(current_lang()),
        });
        if let Some(violations) = self.violations {
            body["violations"] = serde_json::Value::Array(violations);
        }
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
pub type ApiResult<T> = Result<T, AppError>;
