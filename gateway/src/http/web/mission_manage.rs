//! A mission's life on the web, for its managers and the platform admins: suspend and resume,
//! change the end date (with its reason) and the retention of released results, close the
//! mission after a page that says exactly what will be destroyed, change a participant's roles;
//! and, for everyone who may still see it, what the mission page says of a suspended, ended or
//! destroyed mission and the destruction certificate as a web page.
//!
//! Each action calls the service the API calls (`update_mission`, `set_suspended`,
//! `close_mission`, `add_participant` and `remove_role`), so the bounds, the permission table and
//! the audit trail are the API's. Dates are typed as Paris days, as on the administration pages.

use super::admin::end_of_day;
use super::{lang, page, paris, see_other, text, CsrfForm, PageError, PageResult, WebSession};
use crate::domain::{Mission, MissionStatus};
use crate::http::AppState;
use crate::service::missions::MissionPatch;
use crate::service::permissions::Role;
use crate::service::sessions::Session;
use crate::service::{Actor, Error};
use admin_ui::{
    Lang, Layout as _, ManageView, MissionClosePage, MissionDatesPage, MissionRolesPage,
    MissionStateView, RoleBox,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The routes of a mission's life, merged into the web router.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/missions/{id}/dates", get(dates_form))
        .route("/missions/{id}/dates/fin", post(change_end))
        .route("/missions/{id}/dates/conservation", post(change_retention))
        .route("/missions/{id}/suspension", post(suspend))
        .route("/missions/{id}/reprise", post(resume))
        .route("/missions/{id}/cloture", get(close_form).post(close))
        .route(
            "/missions/{id}/participants/{user_id}/roles",
            get(roles_form).post(change_roles),
        )
        .route("/missions/{id}/certificat", get(certificate))
}

/// A day in Paris as `JJ/MM/AAAA`.
fn day(ms: i64) -> String {
    crate::clock::from_millis(ms)
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

/// The last day whose end (23:59:59 in Paris) is not after `bound_ms`, as `JJ/MM/AAAA`.
fn latest_day(bound_ms: i64) -> String {
    let bound = crate::clock::from_millis(bound_ms);
    let mut d = bound.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let ends = |d: chrono::NaiveDate| end_of_day(&d.format("%Y-%m-%d").to_string());
    if matches!(ends(d), Ok(Some(t)) if t > bound) {
        d = d.pred_opt().unwrap_or(d);
    }
    d.format("%d/%m/%Y").to_string()
}

/// The notice a redirect's `gestion` query asks for.
pub(super) fn notice(lang: Lang, query: &HashMap<String, String>) -> Option<String> {
    let l = lang.life();
    let n = match query.get("gestion").map(String::as_str)? {
        "suspendue" => l.notice_suspended,
        "reprise" => l.notice_resumed,
        "cloturee" => l.notice_closed,
        "dates" => l.notice_dates,
        "roles" => l.notice_roles,
        _ => return None,
    };
    Some(n.to_owned())
}

/// The manager's section, and what the page says of a mission that is not simply running.
pub(super) async fn views(
    s: &AppState,
    actor: &Actor,
    mission: &Mission,
    may_manage: bool,
) -> Result<(Option<ManageView>, Option<MissionStateView>), PageError> {
    let lang = lang();
    let l = lang.life();
    let manage = may_manage.then(|| ManageView {
        suspended: mission.status == MissionStatus::Suspended,
        retained_until: mission
            .results_retained_until
            .map(|t| paris(lang, t))
            .unwrap_or_else(|| l.not_retained.to_owned()),
    });
    let state = match mission.status {
        MissionStatus::Active => None,
        MissionStatus::Suspended => Some(MissionStateView {
            heading: l.suspended_heading.to_owned(),
            lines: vec![l.suspended_text.to_owned()],
            suspended: true,
            certificate: false,
        }),
        MissionStatus::Ended | MissionStatus::Destroyed => {
            let facts = s
                .core
                .end_facts(actor, mission)
                .await?
                .ok_or(PageError::NotFound)?;
            let ended_at = paris(lang, facts.closed_at.unwrap_or(facts.ended_at));
            let mut lines = vec![
                lang.ended_how(
                    &ended_at,
                    facts.closed_by.as_deref(),
                    facts.closed_at.is_some(),
                ),
                lang.ended_destroyed(&ended_at),
            ];
            let destroyed = mission.status == MissionStatus::Destroyed;
            let heading = if destroyed {
                if let Some(at) = facts.destroyed_at.or(facts.key_destroyed_at) {
                    lines.push(lang.all_destroyed(&paris(lang, at)));
                }
                lines.push(lang.t().destroyed_text.to_owned());
                lang.t().destroyed_heading
            } else {
                let until = mission.results_retained_until.map(|t| paris(lang, t));
                lines.push(lang.ended_retained(until.as_deref()));
                l.ended_heading
            };
            Some(MissionStateView {
                heading: heading.to_owned(),
                lines,
                certificate: facts.reads_certificate,
                suspended: false,
            })
        }
    };
    Ok((manage, state))
}

/// The mission, for a caller who may manage it now (else the refusal page: 404 when it may not
/// see it, 403 when it sees it without managing it).
async fn managed(s: &AppState, session: &Session, id: &str) -> Result<Mission, PageError> {
    let (view, _) = s.core.mission(&session.actor, id).await?;
    let (_, viewer) = s.core.viewer(&session.actor, id).await?;
    if !viewer.mission_abilities(&view.mission).manage {
        return Err(if view.mission.status.still_running() {
            PageError::Role
        } else {
            PageError::Refused(StatusCode::CONFLICT, text(&ended_text()))
        });
    }
    Ok(view.mission)
}

fn ended_text() -> crate::service::Text {
    crate::service::Text::new(
        "La mission est terminée : elle ne peut plus être modifiée.",
        "The mission has ended: it can no longer be changed.",
    )
}

/// The dates page as the mission stands, nothing typed yet.
async fn dates_page(
    s: &AppState,
    session: &Session,
    mission: &Mission,
) -> Result<MissionDatesPage, PageError> {
    let lang = lang();
    let l = lang.life();
    let bounds = s.core.date_bounds(mission).await?;
    Ok(MissionDatesPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        path: format!("/missions/{}/dates", mission.id),
        mission_id: mission.id.clone(),
        mission_name: mission.name.clone(),
        ends_at: paris(lang, mission.ends_at),
        max_ends: lang.at_most(&latest_day(bounds.latest_end)),
        retained: mission
            .results_retained_until
            .map(|t| paris(lang, t))
            .unwrap_or_else(|| l.not_retained.to_owned()),
        max_retained: lang.at_most(&latest_day(bounds.latest_retention)),
        keep: if mission.results_retained_until.is_some() {
            "oui"
        } else {
            "non"
        }
        .to_owned(),
        new_retained: mission.results_retained_until.map(day).unwrap_or_default(),
        ..Default::default()
    })
}

/// `GET /missions/{id}/dates`.
async fn dates_form(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
) -> PageResult {
    let mission = managed(&s, &session, &id).await?;
    Ok(page(
        StatusCode::OK,
        &dates_page(&s, &session, &mission).await?,
    ))
}

/// A refusal of the service a date field explains; anything else is its own page.
fn field_error(e: Error) -> Result<String, PageError> {
    match e {
        Error::InvalidRequest(t) | Error::OutOfBounds(t) => Ok(text(&t)),
        other => Err(other.into()),
    }
}

/// `POST /missions/{id}/dates/fin`: a new end date, with its reason.
async fn change_end(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let mission = managed(&s, &session, &id).await?;
    let l = lang().life();
    let mut form = dates_page(&s, &session, &mission).await?;
    form.new_end = f.value("ends_at").trim().to_owned();
    form.reason = f.value("reason").trim().to_owned();
    let ends_at = match end_of_day(&form.new_end) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            form.end_error = Some(l.err_date_empty.to_owned());
            None
        }
        Err(()) => {
            form.end_error = Some(l.err_date.to_owned());
            None
        }
    };
    if form.reason.is_empty() {
        form.reason_error = Some(l.err_reason_empty.to_owned());
    }
    let Some(ends_at) = ends_at.filter(|_| !form.has_error()) else {
        return Ok(page(INVALID, &form));
    };
    let patch = MissionPatch {
        ends_at: Some(ends_at),
        reason: Some(form.reason.clone()),
        ..Default::default()
    };
    match s.core.update_mission(&session.actor, &id, &patch).await {
        Ok(()) => Ok(see_other(&format!("/missions/{id}?gestion=dates"))),
        Err(e) => {
            form.end_error = Some(field_error(e)?);
            Ok(page(INVALID, &form))
        }
    }
}

/// `POST /missions/{id}/dates/conservation`: keep released results until a date, or not at all.
async fn change_retention(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let mission = managed(&s, &session, &id).await?;
    let l = lang().life();
    let mut form = dates_page(&s, &session, &mission).await?;
    form.keep = f.value("keep").to_owned();
    form.new_retained = f.value("results_retained_until").trim().to_owned();
    let retained = match (form.keep.as_str(), end_of_day(&form.new_retained)) {
        ("non", _) => Some(None),
        ("oui", Ok(Some(t))) => Some(Some(t)),
        ("oui", Ok(None)) => {
            form.retained_error = Some(l.err_date_empty.to_owned());
            None
        }
        ("oui", Err(())) => {
            form.retained_error = Some(l.err_date.to_owned());
            None
        }
        _ => {
            form.retained_error = Some(l.err_retention_choice.to_owned());
            None
        }
    };
    let Some(retained) = retained else {
        return Ok(page(INVALID, &form));
    };
    let patch = MissionPatch {
        results_retained_until: Some(retained),
        ..Default::default()
    };
    match s.core.update_mission(&session.actor, &id, &patch).await {
        Ok(()) => Ok(see_other(&format!("/missions/{id}?gestion=dates"))),
        Err(e) => {
            form.retained_error = Some(field_error(e)?);
            Ok(page(INVALID, &form))
        }
    }
}

/// `POST /missions/{id}/suspension`.
async fn suspend(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.set_suspended(&session.actor, &id, true).await?;
    Ok(see_other(&format!("/missions/{id}?gestion=suspendue")))
}

/// `POST /missions/{id}/reprise`.
async fn resume(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.set_suspended(&session.actor, &id, false).await?;
    Ok(see_other(&format!("/missions/{id}?gestion=reprise")))
}

/// `GET /missions/{id}/cloture`: exactly what closing destroys and keeps, and the button.
async fn close_form(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
) -> PageResult {
    let mission = managed(&s, &session, &id).await?;
    let p = s.core.closing_preview(&session.actor, &id).await?;
    let lang = lang();
    let retained = p.results_retained_until.map(|t| paris(lang, t));
    Ok(page(
        StatusCode::OK,
        &MissionClosePage {
            lang,
            csrf_token: session.csrf_token,
            path: format!("/missions/{id}/cloture"),
            mission_id: id,
            mission_name: mission.name,
            destroyed: lang.close_destroys(
                p.deposits,
                p.unreleased_results,
                p.released_results,
                p.participants,
                retained.as_deref(),
            ),
            kept: lang.close_keeps(p.released_results, retained.as_deref()),
            no_retention: retained.is_none(),
        },
    ))
}

/// `POST /missions/{id}/cloture`: ends the mission now; its destruction follows at once.
async fn close(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.close_mission(&session.actor, &id).await?;
    Ok(see_other(&format!("/missions/{id}?gestion=cloturee")))
}

/// The roles page of one participant, `ticked` the roles to show ticked.
async fn roles_page(
    s: &AppState,
    session: &Session,
    id: &str,
    user_id: &str,
    ticked: Option<&[Role]>,
) -> Result<MissionRolesPage, PageError> {
    let mission = managed(s, session, id).await?;
    let (_, participants) = s.core.mission(&session.actor, id).await?;
    let held: Vec<Role> = participants
        .iter()
        .filter(|p| p.user_id == user_id)
        .map(|p| p.role)
        .collect();
    let person = participants
        .iter()
        .find(|p| p.user_id == user_id)
        .ok_or(PageError::NotFound)?;
    let organisation = match s.core.organisation(&person.organisation_id).await {
        Ok(o) => o.name,
        Err(Error::NotFound) => String::new(),
        Err(e) => return Err(e.into()),
    };
    let lang = lang();
    let ticked = ticked.unwrap_or(&held);
    Ok(MissionRolesPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        path: format!("/missions/{id}/participants/{user_id}/roles"),
        mission_id: id.to_owned(),
        mission_name: mission.name,
        person: person.display_name.clone(),
        organisation,
        roles: [
            Role::Manager,
            Role::Depositor,
            Role::Processor,
            Role::Recipient,
        ]
        .iter()
        .map(|r| RoleBox {
            value: r.as_str().to_owned(),
            label: lang.role_name(r.as_str()).to_owned(),
            ticked: ticked.contains(r),
        })
        .collect(),
        error: None,
    })
}

/// `GET /missions/{id}/participants/{user_id}/roles`.
async fn roles_form(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path((id, user_id)): Path<(String, String)>,
) -> PageResult {
    let view = roles_page(&s, &session, &id, &user_id, None).await?;
    Ok(page(StatusCode::OK, &view))
}

/// `POST /missions/{id}/participants/{user_id}/roles`: the ticked roles become the
/// participant's roles (the grant rules apply to each one added).
async fn change_roles(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path((id, user_id)): Path<(String, String)>,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let roles: Vec<Role> = f.all("role").filter_map(Role::parse).collect();
    match s
        .core
        .set_roles(&session.actor, &id, &user_id, &roles)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/missions/{id}?gestion=roles"))),
        Err(e) => {
            let (status, message) = match e {
                Error::InvalidRequest(t) => (INVALID, text(&t)),
                Error::ForbiddenRule(t) => (StatusCode::FORBIDDEN, text(&t)),
                other => return Err(other.into()),
            };
            let mut view = roles_page(&s, &session, &id, &user_id, Some(&roles)).await?;
            view.error = Some(message);
            Ok(page(status, &view))
        }
    }
}

/// `GET /missions/{id}/certificat`: the destruction certificate, printable, for those the
/// permission table lets read it (platform admins, managers, the controller organisation's
/// participants); 404 before the destruction, as the API answers.
async fn certificate(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
) -> PageResult {
    let cert = s.core.certificate(&session.actor, &id).await?;
    let (_, viewer) = s.core.viewer(&session.actor, &id).await?;
    let lang = lang();
    let mut view = crate::http::certificate_page::view(&cert);
    if viewer.sees_mission() {
        view.back_link = Some(format!("/missions/{id}"));
        view.back_text = lang.life().back_mission.to_owned();
    } else {
        view.back_link = Some("/accueil".to_owned());
        view.back_text = lang.t().back_home.to_owned();
    }
    view.json_link = Some(format!("/api/v1/missions/{id}/certificate"));
    view.csrf_token = Some(session.csrf_token);
    Ok(page(StatusCode::OK, &view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone as _};

    #[test]
    fn the_latest_day_ends_within_the_bound() {
        // 31/01/2027 23:59:59 in Paris is 22:59:59 UTC.
        let exact = chrono::Utc
            .with_ymd_and_hms(2027, 1, 31, 22, 59, 59)
            .unwrap()
            .timestamp_millis();
        assert_eq!(latest_day(exact), "31/01/2027");
        assert_eq!(latest_day(exact - 1000), "30/01/2027");
        assert_eq!(
            latest_day(exact + Duration::hours(1).num_milliseconds()),
            "31/01/2027"
        );
    }
}
