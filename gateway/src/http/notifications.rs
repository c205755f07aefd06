//! `GET` and `PUT /api/v1/me/notifications`: the caller's notification choices.

use super::error::{ApiResult, AppError};
use super::extract::{ApiJson, Authed};
use super::views::ErrorBody;
use super::AppState;
use crate::domain::NotificationKind;
use crate::service::notify::{Preferences, PreferencesChange};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The caller's notification choices.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotificationChoices {
    /// Every kind by its stable name, `true` when on (all on until changed).
    kinds: BTreeMap<String, bool>,
    /// A mission's messages gathered into one per hour.
    digest: bool,
}

impl From<Preferences> for NotificationChoices {
    fn from(p: Preferences) -> Self {
        Self {
            kinds: p
                .kinds
                .iter()
                .map(|(k, on)| (k.as_str().to_owned(), *on))
                .collect(),
            digest: p.digest,
        }
    }
}

/// A change of choices: only what it names changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationChoicesChange {
    /// Kinds by stable name: `true` on, `false` off.
    #[serde(default)]
    kinds: BTreeMap<String, bool>,
    /// The digest option.
    #[serde(default)]
    digest: Option<bool>,
}

/// The caller's notification choices.
#[utoipa::path(get, path = "/me/notifications", tag = "login", security(("bearer" = [])), responses(
    (status = 200, description = "The choices", body = NotificationChoices),
))]
pub(crate) async fn get(
    State(s): State<AppState>,
    Authed(session): Authed,
) -> ApiResult<Json<NotificationChoices>> {
    let prefs = s.core.notification_preferences(&session.actor).await?;
    Ok(Json(prefs.into()))
}

/// Changes the caller's notification choices.
#[utoipa::path(put, path = "/me/notifications", tag = "login", security(("bearer" = [])),
    request_body = NotificationChoicesChange, responses(
    (status = 200, description = "The choices now", body = NotificationChoices),
    (status = 400, description = "`invalid_request`: an unknown kind", body = ErrorBody),
))]
pub(crate) async fn put(
    State(s): State<AppState>,
    Authed(session): Authed,
    ApiJson(b): ApiJson<NotificationChoicesChange>,
) -> ApiResult<Json<NotificationChoices>> {
    let mut change = PreferencesChange {
        kinds: Vec::with_capacity(b.kinds.len()),
        digest: b.digest,
    };
    for (word, on) in &b.kinds {
        let Some(kind) = NotificationKind::parse(word) else {
            return Err(AppError::bad_request(
                format!("Type de notification inconnu : {word}."),
                format!("Unknown notification kind: {word}."),
            ));
        };
        change.kinds.push((kind, *on));
    }
    let prefs = s
        .core
        .set_notification_preferences(&session.actor, &change)
        .await?;
    Ok(Json(prefs.into()))
}
