//! Editing an account (name, e-mail, organisation) and an organisation (name, kind). The
//! service refuses what would move data access behind the missions' back (a new organisation
//! for someone holding roles in running missions; an EPCI kind for an organisation whose members
//! hold raw-data roles); the page shows its message by the field concerned.

use super::{see_other, text, INVALID};
use crate::http::web::{lang, page, AdminSession, CsrfForm, PageError, PageResult};
use crate::http::AppState;
use crate::service::account_edits::{OrganisationChanges, UserChanges};
use crate::service::accounts::{check_email, ORG_KINDS};
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::{AdminOrgEditPage, AdminUserEditPage, Choice, Layout as _};
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// The account's form, filled with what is stored (or what was typed, by the caller).
async fn user_page(
    s: &AppState,
    session: &Session,
    id: &str,
) -> Result<(AdminUserEditPage, Vec<crate::domain::Organisation>), PageError> {
    let users = s.core.list_users(&session.actor).await?;
    let user = users
        .iter()
        .find(|u| u.id == id)
        .ok_or(PageError::NotFound)?;
    let orgs = s.core.list_organisations(&session.actor).await?;
    let page = AdminUserEditPage {
        lang: lang(),
        csrf_token: session.csrf_token.clone(),
        path: format!("/admin/utilisateurs/{id}"),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        organisations: orgs
            .iter()
            .map(|o| Choice::new(o.id.clone(), o.name.clone(), &user.organisation_id))
            .collect(),
        ..Default::default()
    };
    Ok((page, orgs))
}

/// `GET /admin/utilisateurs/{id}`: the account's name, e-mail and organisation.
pub(super) async fn user_form(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
) -> PageResult {
    let (form, _) = user_page(&s, &session, &id).await?;
    Ok(page(StatusCode::OK, &form))
}

/// `POST /admin/utilisateurs/{id}`: saves the changes, then back to the list.
pub(super) async fn user_save(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let (mut form, orgs) = user_page(&s, &session, &id).await?;
    let a = lang().admin();
    form.display_name = f.value("display_name").trim().to_owned();
    form.email = f.value("email").trim().to_owned();
    let org = f.value("organisation_id").to_owned();
    form.organisations = orgs
        .iter()
        .map(|o| Choice::new(o.id.clone(), o.name.clone(), &org))
        .collect();
    if form.display_name.is_empty() {
        form.display_name_error = Some(a.err_display_name_empty.to_owned());
    }
    if form.email.is_empty() {
        form.email_error = Some(a.err_email_empty.to_owned());
    } else if let Err(Error::InvalidRequest(t)) = check_email(&form.email) {
        form.email_error = Some(text(&t));
    }
    if !orgs.iter().any(|o| o.id == org) {
        form.organisation_error = Some(a.err_org_choose.to_owned());
    }
    if form.has_error() {
        return Ok(page(INVALID, &form));
    }
    let changes = UserChanges {
        display_name: Some(form.display_name.clone()),
        email: Some(form.email.clone()),
        organisation_id: Some(org),
    };
    match s.core.update_user(&session.actor, &id, &changes).await {
        Ok(_) => Ok(see_other(&format!("/admin/utilisateurs?modifie={id}"))),
        Err(Error::Conflict(t)) => {
            form.organisation_error = Some(text(&t));
            Ok(page(StatusCode::CONFLICT, &form))
        }
        // What the fields' checks above let through (a name too long, control characters).
        Err(Error::InvalidRequest(t)) => {
            form.display_name_error = Some(text(&t));
            Ok(page(INVALID, &form))
        }
        Err(e) => Err(e.into()),
    }
}

/// The kinds as choices, `chosen` selected.
fn kinds(chosen: &str) -> Vec<Choice> {
    let a = lang().admin();
    ORG_KINDS
        .iter()
        .map(|k| Choice::new(k.as_str(), a.org_kind(k.as_str()), chosen))
        .collect()
}

/// `GET /admin/organisations/{id}`: the organisation's name and kind.
pub(super) async fn org_form(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
) -> PageResult {
    let orgs = s.core.list_organisations(&session.actor).await?;
    let org = orgs
        .iter()
        .find(|o| o.id == id)
        .ok_or(PageError::NotFound)?;
    Ok(page(
        StatusCode::OK,
        &AdminOrgEditPage {
            lang: lang(),
            csrf_token: session.csrf_token,
            path: format!("/admin/organisations/{id}"),
            name: org.name.clone(),
            kinds: kinds(org.kind.as_str()),
            ..Default::default()
        },
    ))
}

/// `POST /admin/organisations/{id}`: saves the changes, then back to the list.
pub(super) async fn org_save(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let orgs = s.core.list_organisations(&session.actor).await?;
    if !orgs.iter().any(|o| o.id == id) {
        return Err(PageError::NotFound);
    }
    let a = lang().admin();
    let kind = f.value("kind");
    let mut form = AdminOrgEditPage {
        lang: lang(),
        csrf_token: session.csrf_token.clone(),
        path: format!("/admin/organisations/{id}"),
        name: f.value("name").trim().to_owned(),
        kinds: kinds(kind),
        ..Default::default()
    };
    if form.name.is_empty() {
        form.name_error = Some(a.err_org_name_empty.to_owned());
    }
    if !ORG_KINDS.iter().any(|k| k.as_str() == kind) {
        form.kind_error = Some(a.err_org_kind.to_owned());
    }
    if form.has_error() {
        return Ok(page(INVALID, &form));
    }
    let changes = OrganisationChanges {
        name: Some(form.name.clone()),
        kind: Some(kind.to_owned()),
    };
    match s
        .core
        .update_organisation(&session.actor, &id, &changes)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/admin/organisations?modifie={id}"))),
        Err(Error::Conflict(t) | Error::InvalidRequest(t)) => {
            form.name_error = Some(text(&t));
            Ok(page(INVALID, &form))
        }
        Err(Error::ForbiddenRule(t)) => {
            form.kind_error = Some(text(&t));
            Ok(page(StatusCode::FORBIDDEN, &form))
        }
        Err(e) => Err(e.into()),
    }
}
