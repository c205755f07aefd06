//! The platform administrators' pages under `/admin`.
//!
//! Only platform administrators see them: a signed-in user without the flag gets the 404 page,
//! as the API answers 404 for what a caller may not see; a visitor without a session goes to the
//! login page, like every signed-in page. Every action calls the same service as the API, so it
//! lands in the audit trail the same way. Posts carry the session's CSRF token and come from our
//! own origin ([`CsrfForm`]); [`AdminSession`] turns everyone else away.

mod edits;
mod incident;
mod invitations;
mod journal;
mod lockdown;
mod missions;

pub(crate) use lockdown::{banner_in_words, lockdown_banner};
mod review;
mod users;

pub(super) use missions::end_of_day;

use super::{lang, page, paris, see_other, text, AdminSession, CsrfForm, PageResult};
use crate::http::AppState;
use crate::service::accounts::ORG_KINDS;
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{
    AdminCertificatesPage, AdminIndexPage, AdminOrg, AdminOrganisationsPage, Choice,
    DestroyedMission, Layout as _,
};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};

/// The status of a form shown again with errors to fix.
const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The administration routes, merged into the web router.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/organisations", get(organisations).post(create_org))
        .route("/admin/utilisateurs", get(users::list).post(users::create))
        .route("/admin/utilisateurs/nouveau", get(users::new_form))
        .route(
            "/admin/utilisateurs/{id}",
            get(edits::user_form).post(edits::user_save),
        )
        .route(
            "/admin/utilisateurs/{id}/reactiver",
            get(users::confirm_enable).post(users::enable),
        )
        .route(
            "/admin/organisations/{id}",
            get(edits::org_form).post(edits::org_save),
        )
        .route(
            "/admin/utilisateurs/{id}/desactiver",
            get(users::confirm_disable).post(users::disable),
        )
        .route(
            "/admin/utilisateurs/{id}/reinitialiser",
            get(users::confirm_reset).post(users::reset),
        )
        .route(
            "/admin/utilisateurs/{id}/invitation",
            post(invitations::send),
        )
        .route(
            "/admin/utilisateurs/{id}/invitation/retrait",
            post(invitations::revoke),
        )
        .route("/admin/revue-des-acces", get(review::show))
        .route("/admin/revue-des-acces.csv", get(review::csv))
        .route("/admin/revue-des-acces/faite", post(review::record_done))
        .route("/admin/journal", get(journal::show))
        .route("/admin/journal.csv", get(journal::csv))
        .route("/admin/certificats", get(certificates))
        .route(
            "/admin/incident",
            get(incident::form).post(incident::generate),
        )
        .route("/admin/registre", get(incident::register))
        .route("/admin/registre.csv", get(incident::register_csv))
        .route(
            "/admin/missions",
            get(missions::list).post(missions::create),
        )
        .route("/admin/missions/nouvelle", get(missions::new_form))
        .route(
            "/admin/interruption",
            get(lockdown::show).post(lockdown::set),
        )
}

/// The query string's fields.
fn query(uri: &Uri) -> FormFields {
    uri.query()
        .map(|q| FormFields::parse(q.as_bytes()))
        .unwrap_or_default()
}

/// A date typed as `JJ/MM/AAAA` (day and month may have one digit) or `AAAA-MM-JJ`.
fn parse_date(typed: &str) -> Option<NaiveDate> {
    let typed = typed.trim();
    NaiveDate::parse_from_str(typed, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(typed, "%Y-%m-%d"))
        .ok()
        // Four-digit years only: "1/1/27" is not the year 27.
        .filter(|d| (1000..=9999).contains(&chrono::Datelike::year(d)))
}

/// The instant a Paris wall-clock time on `date` happens (the earlier one when the clocks go back).
fn paris_instant(date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    chrono_tz::Europe::Paris
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Midnight at the start of `date` in Paris.
fn paris_day_start(date: NaiveDate) -> Option<DateTime<Utc>> {
    paris_instant(date, NaiveTime::MIN)
}

/// A CSV download.
fn csv_response(body: String, filename: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// Today's date in Paris as `AAAA-MM-JJ`, for export file names.
fn paris_today(s: &AppState) -> String {
    s.core
        .clock
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%d")
        .to_string()
}

/// `GET /admin`: the sections, the lockdown banner and the last scheduled backup's outcome.
async fn index(State(s): State<AppState>, AdminSession(session): AdminSession) -> PageResult {
    let lang = lang();
    let (backup_failure, backup_success) = match s.core.last_scheduled_backup().await? {
        Some(b) if b.failed() => (
            Some(format!(
                "{} — {}",
                paris(lang, b.started_at),
                b.error.unwrap_or_default()
            )),
            None,
        ),
        Some(b) if !b.running => (
            None,
            Some(format!("{} — {}", paris(lang, b.started_at), b.dir)),
        ),
        _ => (None, None),
    };
    Ok(page(
        StatusCode::OK,
        &AdminIndexPage {
            lang,
            csrf_token: session.csrf_token,
            backup_failure,
            backup_success,
        },
    ))
}

/// The organisations page, with the form's values and errors.
async fn organisations_page(
    s: &AppState,
    session: &Session,
    notice_of: Option<&str>,
    changed: Option<&str>,
    mut form: AdminOrganisationsPage,
) -> PageResult {
    let lang = form.lang;
    let orgs = s.core.list_organisations(&session.actor).await?;
    let chosen = form
        .kinds
        .iter()
        .find(|c| c.selected)
        .map(|c| c.value.clone())
        .unwrap_or_default();
    form.kinds = ORG_KINDS
        .iter()
        .map(|k| Choice::new(k.as_str(), lang.admin().org_kind(k.as_str()), &chosen))
        .collect();
    let find = |id: &str| orgs.iter().find(|o| o.id == id);
    form.notice = notice_of
        .and_then(find)
        .map(|o| lang.admin().org_created(&o.name))
        .or_else(|| changed.and_then(find).map(|o| lang.org_changed(&o.name)));
    form.organisations = orgs
        .iter()
        .map(|o| AdminOrg {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: lang.admin().org_kind(o.kind.as_str()).to_owned(),
        })
        .collect();
    form.csrf_token.clone_from(&session.csrf_token);
    let status = if form.has_error() {
        INVALID
    } else {
        StatusCode::OK
    };
    Ok(page(status, &form))
}

/// `GET /admin/organisations`: the list and the creation form (`?cree=ID` after a creation,
/// `?modifie=ID` after a change).
async fn organisations(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let q = query(&uri);
    let form = AdminOrganisationsPage {
        lang: lang(),
        ..Default::default()
    };
    organisations_page(&s, &session, q.get("cree"), q.get("modifie"), form).await
}

/// `POST /admin/organisations`: creates an organisation, then back to the list.
async fn create_org(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let lang = lang();
    let a = lang.admin();
    let name = f.value("name").trim();
    let kind = f.value("kind");
    let mut form = AdminOrganisationsPage {
        lang,
        name: name.to_owned(),
        kinds: vec![Choice::new(kind, "", kind)],
        ..Default::default()
    };
    if name.is_empty() {
        form.name_error = Some(a.err_org_name_empty.to_owned());
    }
    if !ORG_KINDS.iter().any(|k| k.as_str() == kind) {
        form.kind_error = Some(a.err_org_kind.to_owned());
    }
    if form.has_error() {
        return organisations_page(&s, &session, None, None, form).await;
    }
    match s.core.create_organisation(&session.actor, name, kind).await {
        Ok(id) => Ok(see_other(&format!("/admin/organisations?cree={id}"))),
        // The kind was checked above: what the service still refuses is the name (too long,
        // control characters, already taken).
        Err(Error::InvalidRequest(t) | Error::Conflict(t)) => {
            form.name_error = Some(text(&t));
            organisations_page(&s, &session, None, None, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/certificats`: destroyed missions, with links to their certificates.
async fn certificates(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let destroyed = s.core.destroyed_missions(&session.actor).await?;
    let lang = lang();
    Ok(page(
        StatusCode::OK,
        &AdminCertificatesPage {
            lang,
            csrf_token: session.csrf_token,
            missions: destroyed
                .into_iter()
                .map(|d| DestroyedMission {
                    id: d.mission.id,
                    name: d.mission.name,
                    controller: d.controller,
                    destroyed_at: d.destroyed_at.map(|t| paris(lang, t)).unwrap_or_default(),
                })
                .collect(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_both_forms_and_placed_in_paris() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        assert_eq!(parse_date("15/01/2027"), Some(d));
        assert_eq!(parse_date(" 15/1/2027 "), Some(d));
        assert_eq!(parse_date("2027-01-15"), Some(d));
        for bad in [
            "",
            "32/01/2027",
            "15/13/2027",
            "1/1/27",
            "demain",
            "2027-1-15x",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
        // Winter: Paris is UTC+1; summer: UTC+2.
        assert_eq!(
            paris_day_start(d).unwrap().to_rfc3339(),
            "2027-01-14T23:00:00+00:00"
        );
        let july = NaiveDate::from_ymd_opt(2027, 7, 1).unwrap();
        assert_eq!(
            paris_day_start(july).unwrap().to_rfc3339(),
            "2027-06-30T22:00:00+00:00"
        );
        // The day the clocks go forward still starts at midnight.
        let spring = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
        assert_eq!(
            paris_day_start(spring).unwrap().to_rfc3339(),
            "2027-03-27T23:00:00+00:00"
        );
    }
}
