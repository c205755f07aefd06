//! Missions: every mission, and creating one as the API allows a platform administrator.
//!
//! Dates are typed as Paris days: a mission ends at 23:59:59 (Paris time) on its end date, and
//! released results are kept until 23:59:59 on their retention date.

use super::{paris, paris_instant, parse_date, query, see_other, text, INVALID};
use crate::http::web::{lang, page, AdminSession, CsrfForm, PageResult};
use crate::http::AppState;
use crate::service::missions::NewMission;
use crate::service::Error;
use admin_ui::{AdminMission, AdminMissionsPage, AdminNewMissionPage, Choice, Layout as _};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use chrono::{DateTime, NaiveTime, Utc};
use std::collections::HashMap;

/// The last second of a Paris day typed in a form; `Err` when the text is not a date.
pub(in crate::http::web) fn end_of_day(typed: &str) -> Result<Option<DateTime<Utc>>, ()> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    let date = parse_date(typed).ok_or(())?;
    let last = NaiveTime::from_hms_opt(23, 59, 59).ok_or(())?;
    paris_instant(date, last).map(Some).ok_or(())
}

/// `GET /admin/missions`: every mission (`?creee=ID` after a creation).
pub(super) async fn list(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let missions = s.core.list_missions(&session.actor).await?;
    let orgs: HashMap<String, String> = s
        .core
        .list_organisations(&session.actor)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let lang = lang();
    let a = lang.admin();
    let created = query(&uri).get("creee").map(str::to_owned);
    Ok(page(
        StatusCode::OK,
        &AdminMissionsPage {
            lang,
            csrf_token: session.csrf_token,
            notice: created
                .and_then(|id| missions.iter().find(|m| m.mission.id == id))
                .map(|m| a.mission_created(&m.mission.name)),
            missions: missions
                .iter()
                .map(|v| {
                    let m = &v.mission;
                    AdminMission {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        controller: orgs
                            .get(&m.controller_organisation_id)
                            .cloned()
                            .unwrap_or_default(),
                        status: lang.mission_status(m.status.as_str()).to_owned(),
                        ends_at: paris(lang, m.ends_at),
                        retained_until: m
                            .results_retained_until
                            .map(|t| paris(lang, t))
                            .unwrap_or_else(|| a.not_retained.to_owned()),
                        running: m.status.still_running(),
                    }
                })
                .collect(),
        },
    ))
}

/// `GET /admin/missions/nouvelle`: the creation form.
pub(super) async fn new_form(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let orgs = s.core.list_organisations(&session.actor).await?;
    Ok(page(
        StatusCode::OK,
        &AdminNewMissionPage {
            lang: lang(),
            csrf_token: session.csrf_token,
            controllers: orgs
                .into_iter()
                .map(|o| Choice::new(o.id, o.name, ""))
                .collect(),
            ..Default::default()
        },
    ))
}

/// `POST /admin/missions`: creates the mission, then back to the list.
pub(super) async fn create(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let orgs = s.core.list_organisations(&session.actor).await?;
    let lang = lang();
    let a = lang.admin();
    let controller = f.value("controller_organisation_id");
    let mut form = AdminNewMissionPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        name: f.value("name").trim().to_owned(),
        purpose: f.value("purpose").trim().to_owned(),
        controllers: orgs
            .iter()
            .map(|o| Choice::new(o.id.clone(), o.name.clone(), controller))
            .collect(),
        ends_at: f.value("ends_at").trim().to_owned(),
        retained_until: f.value("results_retained_until").trim().to_owned(),
        keep: f.value("keep").to_owned(),
        ..Default::default()
    };
    if form.name.is_empty() {
        form.name_error = Some(a.err_mission_name_empty.to_owned());
    }
    if form.purpose.is_empty() {
        form.purpose_error = Some(a.err_purpose_empty.to_owned());
    }
    if !orgs.iter().any(|o| o.id == controller) {
        form.controller_error = Some(a.err_controller.to_owned());
    }
    let ends_at = match end_of_day(&form.ends_at) {
        Ok(Some(t)) if t <= s.core.clock.now() => {
            form.ends_error = Some(a.err_ends_past.to_owned());
            None
        }
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            form.ends_error = Some(a.err_ends_empty.to_owned());
            None
        }
        Err(()) => {
            form.ends_error = Some(a.err_date.to_owned());
            None
        }
    };
    // The retention is an explicit choice: without it the EPCI's results go at the close.
    let l = lang.life();
    let retained = match (form.keep.as_str(), end_of_day(&form.retained_until)) {
        ("non", _) => None,
        ("oui", Ok(Some(r))) => Some(r),
        ("oui", Ok(None)) => {
            form.retained_error = Some(l.err_date_empty.to_owned());
            None
        }
        ("oui", Err(())) => {
            form.retained_error = Some(a.err_date.to_owned());
            None
        }
        _ => {
            form.keep_error = Some(l.err_retention_choice.to_owned());
            None
        }
    };
    if let (Some(end), Some(r)) = (ends_at, retained) {
        if r < end {
            form.retained_error = Some(a.err_retained_before_end.to_owned());
        }
    }
    let Some(ends_at) = ends_at.filter(|_| !form.has_error()) else {
        return Ok(page(INVALID, &form));
    };
    let new = NewMission {
        name: form.name.clone(),
        purpose: form.purpose.clone(),
        controller_organisation_id: controller.to_owned(),
        ends_at,
        results_retained_until: retained,
        access_window: None,
    };
    match s.core.create_mission(&session.actor, &new).await {
        Ok(id) => Ok(see_other(&format!("/admin/missions?creee={id}"))),
        // What the checks above let through (a name or purpose too long).
        Err(Error::InvalidRequest(t)) => {
            form.form_error = Some(text(&t));
            Ok(page(INVALID, &form))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::end_of_day;

    #[test]
    fn a_day_ends_at_its_last_paris_second() {
        assert_eq!(end_of_day("  "), Ok(None));
        assert_eq!(end_of_day("31/13/2027"), Err(()));
        assert_eq!(
            end_of_day("31/01/2027").unwrap().unwrap().to_rfc3339(),
            "2027-01-31T22:59:59+00:00"
        );
        assert_eq!(
            end_of_day("2027-07-14").unwrap().unwrap().to_rfc3339(),
            "2027-07-14T21:59:59+00:00"
        );
    }
}
