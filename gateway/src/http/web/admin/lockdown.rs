//! `/admin/interruption`: the lockdown's state, and the form that turns it on or off, confirmed
//! with a fresh second-factor code (the API's twin is `/api/v1/admin/lockdown`).

use super::{paris, query};
use crate::http::web::{lang, page, second_factor, see_other, AdminSession, CsrfForm, PageResult};
use crate::http::AppState;
use crate::service::lockdown::Lockdown;
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::{AdminLockdownPage, Lang};
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    /// The lockdown (since when, why) during an administration request, while it is on.
    static LOCKED_DOWN: Option<(i64, String)>;
}

/// Reads the lockdown once for each request under `/admin`, for the banner every administration
/// page shows while it is on (one primary-key read).
pub(crate) async fn lockdown_banner(
    State(s): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/admin") {
        return next.run(request).await;
    }
    let state = match s.core.lockdown().await {
        Ok(l) => l.active.then_some((l.changed_at, l.reason)),
        Err(e) => {
            tracing::warn!(error = %e, "the lockdown could not be read for the banner");
            None
        }
    };
    LOCKED_DOWN.scope(state, next.run(request)).await
}

/// The banner in `lang`, during an administration request while the service is locked down.
pub(crate) fn banner_in_words(lang: Lang) -> Option<String> {
    LOCKED_DOWN
        .try_with(|l| {
            l.as_ref()
                .map(|(since, reason)| lang.ops().banner(&paris(lang, *since), reason))
        })
        .ok()
        .flatten()
}

/// The page as the lockdown stands.
async fn view(
    s: &AppState,
    session: &Session,
    state: Lockdown,
) -> Result<AdminLockdownPage, Error> {
    let lang = lang();
    let o = lang.ops();
    let changed_by = match s.core.lockdown_author(&state).await? {
        Some(name) => name,
        None => o.by_cli.to_owned(),
    };
    Ok(AdminLockdownPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        active: state.active,
        changed_at: if state.changed_at > 0 {
            paris(lang, state.changed_at)
        } else {
            String::new()
        },
        changed_by,
        reason: state.reason,
        ..Default::default()
    })
}

/// `GET /admin/interruption` (`?fait=off` after restoring the service).
pub(super) async fn show(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let state = s.core.lockdown_for(&session.actor).await?;
    let mut shown = view(&s, &session, state).await?;
    if query(&uri).get("fait") == Some("off") {
        shown.notice = Some(shown.lang.ops().notice_off.to_owned());
    }
    Ok(page(StatusCode::OK, &shown))
}

/// `POST /admin/interruption`: `action` (`on` or `off`), `reason`, `code`.
pub(super) async fn set(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let o = lang.ops();
    let on = f.value("action") == "on";
    let reason = f.value("reason").to_owned();
    let factor = second_factor(f.value("code"));
    let refused = |error: &str, mut view: AdminLockdownPage| {
        view.form_error = Some(error.to_owned());
        view.typed_reason.clone_from(&reason);
        page(StatusCode::UNPROCESSABLE_ENTITY, &view)
    };
    if on && reason.trim().is_empty() {
        let state = s.core.lockdown().await?;
        return Ok(refused(o.err_reason, view(&s, &session, state).await?));
    }
    let Some(factor) = factor else {
        let state = s.core.lockdown().await?;
        return Ok(refused(o.err_code, view(&s, &session, state).await?));
    };
    match s
        .core
        .set_lockdown(Some(&session.actor), on, &reason, Some(&factor))
        .await
    {
        // Locking down ended the administrator's own session too: the login page says why.
        Ok(_) if on => Ok(see_other("/connexion")),
        Ok(_) => Ok(see_other("/admin/interruption?fait=off")),
        Err(Error::InvalidCode) => {
            let state = s.core.lockdown().await?;
            Ok(refused(o.err_code, view(&s, &session, state).await?))
        }
        Err(e) => Err(e.into()),
    }
}
