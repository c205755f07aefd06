//! Accounts: the list, creation (the temporary password shown once), disabling and reset, each
//! behind a confirmation page.

use super::{paris, query, see_other, text, INVALID};
use crate::domain::{Organisation, User};
use crate::http::web::{lang, page, AdminSession, CsrfForm, PageError, PageResult};
use crate::http::AppState;
use crate::service::accounts::{check_email, normalise_username, UserSpec};
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::{
    AccountAction, AdminConfirmPage, AdminNewUserPage, AdminPasswordPage, AdminUser,
    AdminUsersPage, Choice, Lang, Layout as _,
};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};

/// The organisations as choices, `chosen` selected.
fn org_choices(orgs: &[Organisation], chosen: &str) -> Vec<Choice> {
    orgs.iter()
        .map(|o| Choice::new(o.id.clone(), o.name.clone(), chosen))
        .collect()
}

fn org_name(orgs: &[Organisation], id: &str) -> String {
    orgs.iter()
        .find(|o| o.id == id)
        .map(|o| o.name.clone())
        .unwrap_or_default()
}

fn state(lang: Lang, u: &User) -> String {
    let a = lang.admin();
    if u.disabled {
        a.state_disabled
    } else {
        a.state_active
    }
    .to_owned()
}

/// Every account and organisation, as the administrator sees them.
async fn accounts(
    s: &AppState,
    session: &Session,
) -> Result<(Vec<User>, Vec<Organisation>), PageError> {
    let users = s.core.list_users(&session.actor).await?;
    let orgs = s.core.list_organisations(&session.actor).await?;
    Ok((users, orgs))
}

/// `GET /admin/utilisateurs`: every account (`?desactive=ID` after a disable).
pub(super) async fn list(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    uri: Uri,
) -> PageResult {
    let (users, orgs) = accounts(&s, &session).await?;
    let invitations = s.core.list_invitations(&session.actor).await?;
    let lang = lang();
    let a = lang.admin();
    let q = query(&uri);
    let named = |key: &str| q.get(key).and_then(|id| users.iter().find(|u| u.id == id));
    let notice = named("desactive")
        .map(|u| a.user_disabled(&u.display_name))
        .or_else(|| named("reactive").map(|u| lang.user_enabled(&u.display_name)))
        .or_else(|| named("modifie").map(|u| lang.user_changed(&u.display_name)))
        .or_else(|| {
            let id = q.get("invite")?;
            let sent = invitations.iter().find(|i| i.user.id == id)?;
            Some(super::invitations::sent_notice(lang, sent))
        })
        .or_else(|| named("invitation_retiree").map(|u| lang.invitation_revoked(&u.display_name)));
    Ok(page(
        StatusCode::OK,
        &AdminUsersPage {
            lang,
            csrf_token: session.csrf_token,
            notice,
            users: users
                .iter()
                .map(|u| AdminUser {
                    id: u.id.clone(),
                    username: u.username.clone(),
                    display_name: u.display_name.clone(),
                    organisation: org_name(&orgs, &u.organisation_id),
                    state: state(lang, u),
                    platform_admin: u.platform_admin,
                    disabled: u.disabled,
                    last_login: u
                        .last_login_at
                        .map(|t| paris(lang, t))
                        .unwrap_or_else(|| a.never.to_owned()),
                    can_invite: !u.disabled
                        && u.totp_secret.is_none()
                        && !invitations.iter().any(|i| i.user.id == u.id),
                })
                .collect(),
            invitations: invitations
                .iter()
                .map(|i| super::invitations::row(lang, i))
                .collect(),
        },
    ))
}

/// `GET /admin/utilisateurs/nouveau`: the creation form.
pub(super) async fn new_form(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
) -> PageResult {
    let orgs = s.core.list_organisations(&session.actor).await?;
    Ok(page(
        StatusCode::OK,
        &AdminNewUserPage {
            lang: lang(),
            csrf_token: session.csrf_token,
            organisations: org_choices(&orgs, ""),
            send_invitation: true,
            ..Default::default()
        },
    ))
}

/// `POST /admin/utilisateurs`: creates the account and shows its temporary password, once.
pub(super) async fn create(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let orgs = s.core.list_organisations(&session.actor).await?;
    let lang = lang();
    let a = lang.admin();
    let spec = UserSpec {
        username: f.value("username").trim().to_owned(),
        display_name: f.value("display_name").trim().to_owned(),
        email: f.value("email").trim().to_owned(),
        organisation_id: f.value("organisation_id").to_owned(),
        platform_admin: f.value("platform_admin") == "oui",
    };
    let mut form = AdminNewUserPage {
        lang,
        csrf_token: session.csrf_token.clone(),
        username: spec.username.clone(),
        display_name: spec.display_name.clone(),
        email: spec.email.clone(),
        organisations: org_choices(&orgs, &spec.organisation_id),
        platform_admin: spec.platform_admin,
        send_invitation: super::invitations::asked(&f),
        ..Default::default()
    };
    // Each field's own rules, from the service, so that each message sits by its field.
    if spec.username.is_empty() {
        form.username_error = Some(a.err_username_empty.to_owned());
    } else if let Err(Error::InvalidRequest(t)) = normalise_username(&spec.username) {
        form.username_error = Some(text(&t));
    }
    if spec.display_name.is_empty() {
        form.display_name_error = Some(a.err_display_name_empty.to_owned());
    }
    if spec.email.is_empty() {
        form.email_error = Some(a.err_email_empty.to_owned());
    } else if let Err(Error::InvalidRequest(t)) = check_email(&spec.email) {
        form.email_error = Some(text(&t));
    }
    if !orgs.iter().any(|o| o.id == spec.organisation_id) {
        form.organisation_error = Some(a.err_org_choose.to_owned());
    }
    if form.has_error() {
        return Ok(page(INVALID, &form));
    }
    match s.core.create_user(&session.actor, &spec).await {
        Ok(created) => {
            let invitation = if form.send_invitation {
                let sent = s.core.send_invitation(&session.actor, &created.id).await?;
                Some(super::invitations::sent_notice(lang, &sent))
            } else {
                None
            };
            Ok(page(
                StatusCode::OK,
                &AdminPasswordPage {
                    lang,
                    csrf_token: session.csrf_token,
                    reset: false,
                    display_name: spec.display_name,
                    username: normalise_username(&spec.username).unwrap_or(spec.username),
                    password: created.initial_password,
                    invitation,
                },
            ))
        }
        Err(Error::Conflict(t)) => {
            form.username_error = Some(text(&t));
            Ok(page(INVALID, &form))
        }
        // What the fields' own checks above let through (a name too long, control characters).
        Err(Error::InvalidRequest(t)) => {
            form.form_error = Some(text(&t));
            Ok(page(INVALID, &form))
        }
        Err(e) => Err(e.into()),
    }
}

/// The confirmation page of `action` on account `id`.
async fn confirmation(
    s: &AppState,
    session: &Session,
    id: &str,
    action: AccountAction,
) -> PageResult {
    let (users, orgs) = accounts(s, session).await?;
    let user = users
        .iter()
        .find(|u| u.id == id)
        .ok_or(PageError::NotFound)?;
    let lang = lang();
    let step = match action {
        AccountAction::Disable => "desactiver",
        AccountAction::Reset => "reinitialiser",
        AccountAction::Enable => "reactiver",
    };
    Ok(page(
        StatusCode::OK,
        &AdminConfirmPage {
            lang,
            csrf_token: session.csrf_token.clone(),
            action,
            path: format!("/admin/utilisateurs/{}/{step}", user.id),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            organisation: org_name(&orgs, &user.organisation_id),
            state: state(lang, user),
            disabled: user.disabled,
            own_account: user.id == session.actor.user_id,
        },
    ))
}

/// `GET /admin/utilisateurs/{id}/desactiver`: what disabling does, and the button.
pub(super) async fn confirm_disable(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
) -> PageResult {
    confirmation(&s, &session, &id, AccountAction::Disable).await
}

/// `GET /admin/utilisateurs/{id}/reinitialiser`: what a reset does, and the button.
pub(super) async fn confirm_reset(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
) -> PageResult {
    confirmation(&s, &session, &id, AccountAction::Reset).await
}

/// `POST /admin/utilisateurs/{id}/desactiver`: disables the account (its sessions end at once).
pub(super) async fn disable(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.disable_user(&session.actor, &id).await?;
    Ok(see_other(&format!("/admin/utilisateurs?desactive={id}")))
}

/// `GET /admin/utilisateurs/{id}/reactiver`: what enabling an account again does, and the button.
pub(super) async fn confirm_enable(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
) -> PageResult {
    confirmation(&s, &session, &id, AccountAction::Enable).await
}

/// `POST /admin/utilisateurs/{id}/reactiver`: the account signs in again.
pub(super) async fn enable(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.enable_user(&session.actor, &id).await?;
    Ok(see_other(&format!("/admin/utilisateurs?reactive={id}")))
}

/// `POST /admin/utilisateurs/{id}/reinitialiser`: resets the account and shows its new temporary
/// password, once.
pub(super) async fn reset(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    let password = s.core.reset_user(&session.actor, &id).await?;
    let (users, _) = accounts(&s, &session).await?;
    let user = users.iter().find(|u| u.id == id);
    Ok(page(
        StatusCode::OK,
        &AdminPasswordPage {
            lang: lang(),
            csrf_token: session.csrf_token,
            reset: true,
            display_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
            username: user.map(|u| u.username.clone()).unwrap_or_default(),
            password,
            invitation: None,
        },
    ))
}
