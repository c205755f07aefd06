//! The access review: every account, its missions, roles and last login; accounts without a
//! login for 90 days or more flagged in words and highlighted, counted at the top; a CSV export.

use super::{csv_response, paris, paris_today};
use crate::http::web::{lang, page, AdminSession, PageResult};
use crate::http::AppState;
use crate::service::review::INACTIVE_AFTER_DAYS;
use admin_ui::{AdminReviewPage, ReviewLine};
use axum::extract::State;
use axum::http::StatusCode;

/// `GET /admin/revue-des-acces`.
pub(super) async fn show(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
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
    Ok(page(
        StatusCode::OK,
        &AdminReviewPage {
            lang,
            csrf_token: session.csrf_token,
            inactive_count: reviewed.iter().filter(|r| r.inactive).count(),
            inactive_days: INACTIVE_AFTER_DAYS,
            lines,
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
