//! Invitations on the accounts page: the pending ones, sending one (again) and withdrawing one.
//! Plain forms with the CSRF token, answered by a redirection to the accounts page with a notice.

use super::see_other;
use crate::clock::to_millis;
use crate::http::web::{paris, AdminSession, CsrfForm, PageResult};
use crate::http::AppState;
use crate::service::invitations::Invitation;
use admin_ui::{AdminInvitation, Lang};
use axum::extract::{Path, State};

/// A pending invitation as the accounts page lists it.
pub(super) fn row(lang: Lang, i: &Invitation) -> AdminInvitation {
    AdminInvitation {
        user_id: i.user.id.clone(),
        username: i.user.username.clone(),
        display_name: i.user.display_name.clone(),
        email: i.user.email.clone(),
        sent_at: paris(lang, to_millis(i.sent_at)),
        expires_at: paris(lang, to_millis(i.expires_at)),
    }
}

/// The notice after `i` was sent.
pub(super) fn sent_notice(lang: Lang, i: &Invitation) -> String {
    lang.invitation_sent(
        &i.user.display_name,
        &i.user.email,
        &paris(lang, to_millis(i.expires_at)),
    )
}

/// `POST /admin/utilisateurs/{id}/invitation`: sends the invitation (again).
pub(super) async fn send(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.send_invitation(&session.actor, &id).await?;
    Ok(see_other(&format!(
        "/admin/utilisateurs?invite={id}#invitations"
    )))
}

/// `POST /admin/utilisateurs/{id}/invitation/retrait`: withdraws the pending invitation.
pub(super) async fn revoke(
    State(s): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    s.core.revoke_invitation(&session.actor, &id).await?;
    Ok(see_other(&format!(
        "/admin/utilisateurs?invitation_retiree={id}#invitations"
    )))
}

/// Whether the creation form asked for an invitation (ticked by default: mail always leaves,
/// by the relay or to the outbox).
pub(super) fn asked(f: &admin_ui::form::FormFields) -> bool {
    f.value("send_invitation") == "oui"
}
