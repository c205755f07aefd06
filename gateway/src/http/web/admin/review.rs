//! The access review: every account, its missions, roles and last login; accounts without a
//! login for 90 days or more flagged in words and highlighted, counted at the top; a CSV export.

use super::{csv_response, paris, paris_today, query, see_other, text};
use crate::http::web::{lang, page, AdminSession, CsrfForm, PageResult};
use crate::http::AppState;
use crate::service::review::INACTIVE_AFTER_DAYS;
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::{AdminReviewPage, Choice, ReviewLine};
use axum::extract::State;
use axum::http::{StatusCode, Uri};

/// `GET /admin/revue-des-acces` (`?revue=faite` after a yearly review was recorded).
pub(super) async fn show(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let recorded = query(&uri).get("revue") == Some("faite");
    review_page(&s, &session, recorded, None, "").await
}

/// `POST /admin/revue-des-acces/faite`: records the yearly review of an organisation.
pub(super) async fn record_done(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let org = f.value("organisation_id");
    match s
        .core
        .record_review_done(&session.actor, org, f.value("changes"))
        .await
    {
        Ok(()) => Ok(see_other("/admin/revue-des-acces?revue=faite")),
        Err(Error::NotFound) => {
            let error = lang().ops().err_review_org.to_owned();
            review_page(&s, &session, false, Some(error), org).await
        }
        Err(Error::InvalidRequest(t)) => {
            review_page(&s, &session, false, Some(text(&t)), org).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The page, with the record form's outcome.
async fn review_page(
    s: &AppState,
    session: &Session,
    review_recorded: bool,
    review_error: Option<String>,
    chosen_org: &str,
) -> PageResult {
    let reviewed = s.core.access_review(&session.actor).await?;
    let lang = lang();
    let a = lang.admin();
    let lines: Vec<ReviewLine> = reviewed
        .iter()
        .map(|r| {
            let u = &r.account;
            let disabled = u.disabled;
            let activity = if disabled {
                a.disabled_activity.to_owned()
            } else if r.inactive || u.last_login_at.is_none() {
                a.days_without_login(r.days_without_login, u.last_login_at.is_none())
            } else {
                a.recently_active.to_owned()
            };
            ReviewLine {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                organisation: u.organisation.clone(),
                state: if disabled {
                    a.state_disabled
                } else {
                    a.state_active
                }
                .to_owned(),
                platform_admin: u.platform_admin,
                missions: r
                    .missions
                    .iter()
                    .map(|m| {
                        let roles: Vec<&str> =
                            m.roles.iter().map(|x| lang.role_name(x.as_str())).collect();
                        format!(
                            "{} ({}) : {}",
                            m.name,
                            lang.mission_status(&m.status),
                            roles.join(", ")
                        )
                    })
                    .collect(),
                last_login: u
                    .last_login_at
                    .map(|t| paris(lang, t))
                    .unwrap_or_else(|| a.never.to_owned()),
                inactive: r.inactive,
                activity,
            }
        })
        .collect();
    let o = lang.ops();
    let reviews_done = s
        .core
        .reviews_done(&session.actor)
        .await?
        .into_iter()
        .map(|d| {
            o.review_done_line(
                &d.organisation,
                &paris(lang, d.reviewed_at),
                &d.reviewer,
                &d.changes,
            )
        })
        .collect();
    let organisations = s
        .core
        .list_organisations(&session.actor)
        .await?
        .into_iter()
        .map(|org| Choice::new(org.id, org.name, chosen_org))
        .collect();
    let status = if review_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page(
        status,
        &AdminReviewPage {
            lang,
            csrf_token: session.csrf_token.clone(),
            inactive_count: reviewed.iter().filter(|r| r.inactive).count(),
            inactive_days: INACTIVE_AFTER_DAYS,
            lines,
            reviews_done,
            organisations,
            review_error,
            review_recorded,
        },
    ))
}

/// `GET /admin/revue-des-acces.csv`.
pub(super) async fn csv(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let body = s.core.access_review_csv(&session.actor).await?;
    Ok(csv_response(
        body,
        &format!("revue-des-acces-{}.csv", paris_today(&s)),
    ))
}
