//! Separation of duties in role grants: the permission table's [`grant`] rule applied to each
//! grant and removal, and the notice of every `processor` grant to the controller
//! organisation's managers (the processor reads the raw deposits).

use super::audit::{Event, Outcome};
use super::notify::{Note, To};
use super::permissions::{grant, GrantFacts, GrantRefusal, Role};
use super::{Actor, Core, Error, Result, Text};
use crate::db::{orgs, users};
use crate::domain::Mission;
use crate::domain::{AuditAction, NotificationKind};

fn refusal_text(r: GrantRefusal, kind: &str) -> Text {
    match r {
        GrantRefusal::OwnRole => Text::new(
            "Vous ne pouvez pas vous attribuer un rôle : un autre responsable de la mission ou un administrateur doit le faire.",
            "You cannot grant yourself a role: another manager of the mission or an administrator must do it.",
        ),
        GrantRefusal::RawDataExcluded => Text::new(
            format!(
                "Règle de séparation des rôles : les membres d'un organisme de type « {kind} » ne peuvent être ni dépositaires ni chargés d'études (roles.raw_data_excluded_kinds), car ils ne doivent voir que des résultats agrégés."
            ),
            format!(
                "Separation-of-duties rule: members of an organisation of kind \"{kind}\" can be neither depositors nor processors (roles.raw_data_excluded_kinds), as they must only ever see aggregated results."
            ),
        ),
    }
}

impl Core {
    /// Applies the grant rule to `actor` giving `role` (or, with `None`, removing every role)
    /// to `user_id`; a refusal is audited under `audit_action` and answers 403 naming the rule.
    pub(crate) async fn check_grant(
        &self,
        actor: &Actor,
        mission_id: &str,
        user_id: &str,
        role: Option<Role>,
        audit_action: AuditAction,
    ) -> Result<()> {
        let kind = match users::get(&self.db, user_id).await? {
            Some(u) => orgs::get(&self.db, &u.organisation_id)
                .await?
                .map(|o| o.kind.as_str().to_owned())
                .unwrap_or_default(),
            None => String::new(),
        };
        let facts = GrantFacts {
            granter_id: &actor.user_id,
            grantee_id: user_id,
            grantee_kind: &kind,
            role,
            excluded_kinds: &self.config.roles.raw_data_excluded_kinds,
        };
        let Err(refusal) = grant(&facts) else {
            return Ok(());
        };
        let rule = match refusal {
            GrantRefusal::OwnRole => "own_role",
            GrantRefusal::RawDataExcluded => "raw_data_excluded_kind",
        };
        let mut event = Event::new(audit_action, Some(actor))
            .target(user_id)
            .detail(serde_json::json!({ "role": role.map(Role::as_str), "rule": rule }));
        event.mission_id = Some(mission_id.to_owned());
        self.audit.record(event, Outcome::Denied).await?;
        Err(Error::ForbiddenRule(refusal_text(refusal, &kind)))
    }

    /// Tells the controller organisation's managers of the mission that `user_id` may now read
    /// the raw deposits, and who decided it (in the background: see [`super::notify`]). Returns
    /// how many managers are told.
    pub(crate) async fn notify_processor_grant(
        &self,
        actor: &Actor,
        mission: &Mission,
        user_id: &str,
    ) -> Result<usize> {
        let Some(grantee) = users::get(&self.db, user_id).await? else {
            return Ok(0);
        };
        let granter = users::get(&self.db, &actor.user_id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_else(|| actor.username.clone());
        let org = orgs::get(&self.db, &grantee.organisation_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let when = self.clock.now();
        let when_fr = crate::clock::paris_fr(when);
        let when_en = format!("{} (Paris time)", crate::clock::paris_en(when));
        let who = &grantee.display_name;
        let m = &mission.name;
        let note = Note {
            kind: NotificationKind::ProcessorGranted,
            mission: mission.clone(),
            file_id: None,
            to: To::RoleOf(Role::Manager, mission.controller_organisation_id.clone()),
            except: Some(actor.user_id.clone()),
            subject: Text::new(
                format!("Nouveau chargé d'études dans « {m} »"),
                format!("New processor in \"{m}\""),
            ),
            body: Text::new(
                format!(
                    "{granter} a donné le rôle de chargé d'études à {who} ({org}) dans la mission \
                     « {m} », le {when_fr}.\nCe rôle donne accès aux dépôts bruts. Si cette \
                     attribution n'est pas prévue par la convention, retirez-la depuis la page de la \
                     mission et prévenez l'administrateur de la plateforme."
                ),
                format!(
                    "{granter} gave {who} ({org}) the processor role in the mission \"{m}\", on \
                     {when_en}.\nThis role gives access to the raw deposits. If the convention does \
                     not provide for it, remove it from the mission's page and tell the platform \
                     administrator."
                ),
            ),
            certificate_link: None,
        };
        Ok(self.notify(note).await)
    }
}
