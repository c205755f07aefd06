//! `/compte/notifications`: a person's notification choices (one box per kind, the digest).

use super::{lang, page, CsrfForm, PageResult, WebSession};
use crate::domain::NotificationKind;
use crate::http::AppState;
use crate::service::notify::{Preferences, PreferencesChange};
use admin_ui::{KindBox, NotificationsPage};
use axum::extract::State;
use axum::http::StatusCode;

fn notifications_page(prefs: &Preferences, csrf_token: String, saved: bool) -> NotificationsPage {
    let lang = lang();
    NotificationsPage {
        lang,
        csrf_token,
        kinds: prefs
            .kinds
            .iter()
            .map(|(kind, on)| {
                let (label, hint) = lang
                    .notification_kind(kind.as_str())
                    .unwrap_or((kind.as_str(), ""));
                KindBox {
                    value: kind.as_str().to_owned(),
                    label: label.to_owned(),
                    hint: hint.to_owned(),
                    ticked: *on,
                }
            })
            .collect(),
        digest: prefs.digest,
        saved,
    }
}

/// `GET /compte/notifications`: the choices, as boxes.
pub(super) async fn form(State(s): State<AppState>, WebSession(session): WebSession) -> PageResult {
    let prefs = s.core.notification_preferences(&session.actor).await?;
    Ok(page(
        StatusCode::OK,
        &notifications_page(&prefs, session.csrf_token, false),
    ))
}

/// `POST /compte/notifications`: the ticked kinds are on, the others off (a word the page does
/// not offer is ignored); the digest as ticked.
pub(super) async fn save(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let ticked: Vec<&str> = f.all("kind").collect();
    let change = PreferencesChange {
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| (*k, ticked.contains(&k.as_str())))
            .collect(),
        digest: Some(f.value("digest") == "1"),
    };
    let prefs = s
        .core
        .set_notification_preferences(&session.actor, &change)
        .await?;
    Ok(page(
        StatusCode::OK,
        &notifications_page(&prefs, session.csrf_token, true),
    ))
}
