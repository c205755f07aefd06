//! Notifications by e-mail: who is told of what, each person's choices, and the hourly digest.
//!
//! Every message goes through the [`super::mailer::Mailer`] (SMTP when configured, otherwise
//! `.eml` files in the outbox), French first then English, and names files and missions only:
//! never a byte of content, never household data.
//!
//! Rules:
//! - the recipients are resolved when the event happens, from the mission's current
//!   participants: a person without a role in the mission is told nothing of it (the one
//!   exception: the person whose role was just removed is told so), a disabled account nothing
//!   at all, and nobody is told of their own action (the quarantine notice excepted: it says
//!   what to do);
//! - each kind ([`NotificationKind`]) is on by default and may be switched off per person;
//! - a person may ask for a digest: then a mission's messages are queued, and the sweeper (the
//!   periodic expiry task, on the injectable clock) sends them as one message an hour after the
//!   oldest of them arrived: at most one message per mission per hour. A queued message whose
//!   person lost every role in the mission, or switched its kind off, or whose account was
//!   disabled meanwhile, is dropped;
//! - sending never fails nor slows the action that caused it: the mail goes out from a task of
//!   its own, and a mail error is logged (the action has already succeeded);
//! - the audit trail records `notification.send` for each event told (its kind and how many
//!   people were mailed or had it queued), never the text.

use super::audit::{Event, Outcome};
use super::permissions::{Role, Viewer};
use super::{new_id, Actor, Core, Result, Text};
use crate::clock::to_millis;
use crate::db::missions as missions_db;
use crate::db::notifications as store;
use crate::db::users;
use crate::domain::{AuditAction, File, Mission, NotificationKind, User};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How long a digest gathers a mission's messages before the sweeper sends them.
pub const DIGEST_WINDOW_MS: i64 = 3_600_000;

/// Counts the notifications being sent in the background (tests wait for none).
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

/// A person's notification choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Every kind with whether it is on, in [`NotificationKind::ALL`] order.
    pub kinds: Vec<(NotificationKind, bool)>,
    /// A mission's messages gathered into one per hour.
    pub digest: bool,
}

impl Preferences {
    fn from_settings(s: &store::Settings) -> Self {
        Self {
            kinds: NotificationKind::ALL
                .iter()
                .map(|k| (*k, !s.disabled_kinds.iter().any(|d| d == k.as_str())))
                .collect(),
            digest: s.digest,
        }
    }

    /// Whether a kind is on.
    pub fn enabled(&self, kind: NotificationKind) -> bool {
        self.kinds.iter().any(|(k, on)| *k == kind && *on)
    }
}

/// A change of choices: only the kinds named change; `digest` when given.
#[derive(Debug, Clone, Default)]
pub struct PreferencesChange {
    /// Kinds switched on (`true`) or off (`false`).
    pub kinds: Vec<(NotificationKind, bool)>,
    /// The digest option, when changed.
    pub digest: Option<bool>,
}

/// Who is told.
#[derive(Debug, Clone)]
pub(crate) enum To {
    /// The participants holding a role.
    Role(Role),
    /// The participants holding a role who belong to an organisation.
    RoleOf(Role, String),
    /// One person, who must still hold a role in the mission.
    Person(String),
    /// One person whose role was just taken (told although they may hold none any more).
    Former(String),
    /// Every participant.
    Everyone,
}

/// One event to tell.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    /// Its kind.
    pub kind: NotificationKind,
    /// The mission it is about.
    pub mission: Mission,
    /// The file it is about, if any (for the audit trail).
    pub file_id: Option<String>,
    /// Who is told.
    pub to: To,
    /// Who caused it (not told), if someone did.
    pub except: Option<String>,
    /// Subject, without the `[Passerelle]` prefix.
    pub subject: Text,
    /// The text, without greeting.
    pub body: Text,
    /// A link only those the permission table lets read the certificate get (a path).
    pub certificate_link: Option<String>,
}

/// One resolved recipient.
#[derive(Debug, Clone)]
struct Recipient {
    user: User,
    digest: bool,
    with_certificate: bool,
}

/// Texts as a bulleted list, one paragraph each.
fn bullets<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts
        .map(|t| format!("• {}", t.replace('\n', "\n  ")))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn role_fr(r: Role) -> &'static str {
    match r {
        Role::Manager => "responsable",
        Role::Depositor => "dépositaire",
        Role::Processor => "chargé d'études",
        Role::Recipient => "destinataire",
    }
}

fn role_en(r: Role) -> &'static str {
    match r {
        Role::Manager => "manager",
        Role::Depositor => "depositor",
        Role::Processor => "processor",
        Role::Recipient => "recipient",
    }
}

impl Core {
    /// A person's notification choices (every kind on, no digest, until they change them).
    pub async fn notification_preferences(&self, actor: &Actor) -> Result<Preferences> {
        let s = store::settings(&self.db, &actor.user_id).await?;
        Ok(Preferences::from_settings(&s))
    }

    /// Changes a person's own notification choices (recorded in the trail).
    pub async fn set_notification_preferences(
        &self,
        actor: &Actor,
        change: &PreferencesChange,
    ) -> Result<Preferences> {
        let mut s = store::settings(&self.db, &actor.user_id).await?;
        for (kind, on) in &change.kinds {
            s.disabled_kinds.retain(|k| k != kind.as_str());
            if !on {
                s.disabled_kinds.push(kind.as_str().to_owned());
            }
        }
        // Stored in the kinds' order, unknown words dropped.
        s.disabled_kinds = NotificationKind::ALL
            .iter()
            .filter(|k| s.disabled_kinds.iter().any(|d| d == k.as_str()))
            .map(|k| k.as_str().to_owned())
            .collect();
        if let Some(d) = change.digest {
            s.digest = d;
        }
        store::save(&self.db, &actor.user_id, &s, to_millis(self.clock.now())).await?;
        let event = Event::new(AuditAction::NotificationSettings, Some(actor))
            .target(&actor.user_id)
            .detail(json!({ "disabled": s.disabled_kinds, "digest": s.digest }));
        self.audit.record(event, Outcome::Success).await?;
        Ok(Preferences::from_settings(&s))
    }

    /// Waits until no notification is being sent in the background (at most 30 seconds).
    pub async fn notifications_settled(&self) {
        for _ in 0..3000 {
            if self.notifications.0.load(Ordering::SeqCst) == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Tells an event from a task of its own: never fails, never waits for the mail. Returns how
    /// many people will be told (mailed or queued for their digest).
    pub(crate) async fn notify(&self, note: Note) -> usize {
        let recipients = match self.recipients(&note).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, kind = %note.kind, "notification recipients");
                return 0;
            }
        };
        if recipients.is_empty() {
            return 0;
        }
        let count = recipients.len();
        let core = self.clone();
        let counter = self.notifications.0.clone();
        counter.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            core.deliver(&note, recipients).await;
            counter.fetch_sub(1, Ordering::SeqCst);
        });
        count
    }

    /// Tells an event now (the sweeper's own notices): never fails. Returns how many people
    /// were told.
    pub(crate) async fn notify_inline(&self, note: Note) -> usize {
        match self.recipients(&note).await {
            Ok(r) => self.deliver(&note, r).await,
            Err(e) => {
                tracing::error!(error = %e, kind = %note.kind, "notification recipients");
                0
            }
        }
    }

    async fn recipients(&self, note: &Note) -> Result<Vec<Recipient>> {
        let participants = missions_db::participants(&self.db, &note.mission.id).await?;
        let mut ids: Vec<String> = Vec::new();
        let mut add = |id: &str| {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_owned());
            }
        };
        match &note.to {
            To::Role(role) => participants
                .iter()
                .filter(|p| p.role == *role)
                .for_each(|p| add(&p.user_id)),
            To::RoleOf(role, org) => participants
                .iter()
                .filter(|p| p.role == *role && &p.organisation_id == org)
                .for_each(|p| add(&p.user_id)),
            To::Person(id) => {
                if participants.iter().any(|p| &p.user_id == id) {
                    add(id);
                }
            }
            To::Former(id) => add(id),
            To::Everyone => participants.iter().for_each(|p| add(&p.user_id)),
        }
        let mut out = Vec::new();
        for id in ids {
            if note.except.as_deref() == Some(id.as_str()) {
                continue;
            }
            let Some(user) = users::get(&self.db, &id).await? else {
                continue;
            };
            if user.disabled {
                continue;
            }
            let prefs = Preferences::from_settings(&store::settings(&self.db, &id).await?);
            if !prefs.enabled(note.kind) {
                continue;
            }
            let with_certificate = if note.certificate_link.is_some() {
                let held = missions_db::roles_of(&self.db, &note.mission.id, &id).await?;
                let viewer = Viewer {
                    roles: held.clone(),
                    platform_admin: user.platform_admin,
                    organisation_id: user.organisation_id.clone(),
                    controller: user.organisation_id == note.mission.controller_organisation_id,
                };
                viewer.reads_certificate(&held)
            } else {
                false
            };
            out.push(Recipient {
                user,
                digest: prefs.digest,
                with_certificate,
            });
        }
        Ok(out)
    }

    /// The link to a page: absolute, as every link sent by e-mail ([`Core::public_link`]).
    fn link(&self, path: &str) -> String {
        self.public_link(path)
    }

    fn body_for(&self, note: &Note, r: &Recipient) -> Text {
        let mut fr = note.body.fr.clone();
        let mut en = note.body.en.clone();
        if let (Some(path), true) = (&note.certificate_link, r.with_certificate) {
            let link = self.link(path);
            fr.push_str(&format!("\nCertificat de destruction : {link}"));
            en.push_str(&format!("\nDestruction certificate: {link}"));
        }
        Text::new(fr, en)
    }

    fn letter(&self, name: &str, fr: &str, en: &str) -> String {
        let prefs = self.link("/compte/notifications");
        format!(
            "Bonjour {name},\n\n{fr}\n\nVos choix de notifications : {prefs}\n\n---\n\n\
             Hello {name},\n\n{en}\n\nYour notification choices: {prefs}\n\n-- Passerelle\n"
        )
    }

    async fn deliver(&self, note: &Note, recipients: Vec<Recipient>) -> usize {
        let now = to_millis(self.clock.now());
        let (mut mailed, mut queued) = (0usize, 0usize);
        for r in &recipients {
            let body = self.body_for(note, r);
            if r.digest {
                let item = store::DigestItem {
                    id: new_id(),
                    user_id: r.user.id.clone(),
                    mission_id: note.mission.id.clone(),
                    kind: note.kind.as_str().to_owned(),
                    created_at: now,
                    body_fr: body.fr,
                    body_en: body.en,
                };
                match store::queue(&self.db, &item).await {
                    Ok(()) => queued += 1,
                    Err(e) => tracing::error!(error = %e, "queueing a digest notification"),
                }
                continue;
            }
            let subject = format!("[Passerelle] {} / {}", note.subject.fr, note.subject.en);
            let letter = self.letter(&r.user.display_name, &body.fr, &body.en);
            match self
                .mailer
                .send_tagged(
                    &r.user.display_name,
                    &r.user.email,
                    &subject,
                    letter,
                    Some(note.kind.as_str()),
                )
                .await
            {
                Ok(()) => mailed += 1,
                Err(e) => {
                    tracing::warn!(error = %e, kind = %note.kind, user = %r.user.id, "notification not sent")
                }
            }
        }
        if mailed + queued > 0 {
            let mut event = Event::new(AuditAction::NotificationSend, None);
            event.mission_id = Some(note.mission.id.clone());
            event.file_id = note.file_id.clone();
            event.detail = Some(json!({
                "kind": note.kind.as_str(), "mailed": mailed, "queued": queued,
            }));
            if let Err(e) = self.audit.record(event, Outcome::Success).await {
                tracing::error!(error = %e, "recording a notification");
            }
        }
        mailed + queued
    }

    /// Sends the digests whose oldest message waited an hour (the sweeper calls this). Returns
    /// how many digests were sent.
    pub async fn send_digests(&self) -> Result<usize> {
        let now = to_millis(self.clock.now());
        let mut sent = 0;
        for (user_id, mission_id) in store::due_digests(&self.db, now - DIGEST_WINDOW_MS).await? {
            let items = store::take_digest(&self.db, &user_id, &mission_id).await?;
            let Some(user) = users::get(&self.db, &user_id).await? else {
                continue;
            };
            let Some(mission) = missions_db::get(&self.db, &mission_id).await? else {
                continue;
            };
            if user.disabled {
                continue;
            }
            let prefs = Preferences::from_settings(&store::settings(&self.db, &user_id).await?);
            let holds_role = !missions_db::roles_of(&self.db, &mission_id, &user_id)
                .await?
                .is_empty();
            let items: Vec<&store::DigestItem> = items
                .iter()
                .filter(|i| {
                    NotificationKind::parse(&i.kind).is_some_and(|k| {
                        prefs.enabled(k) && (holds_role || k == NotificationKind::RoleChanged)
                    })
                })
                .collect();
            if items.is_empty() {
                continue;
            }
            let n = items.len();
            let subject = format!(
                "[Passerelle] « {m} » : {n} notification{s} / \"{m}\": {n} notification{s}",
                m = mission.name,
                s = if n > 1 { "s" } else { "" },
            );
            let fr = format!(
                "Ce qui s'est passé dans la mission « {} » depuis le dernier message :\n\n{}",
                mission.name,
                bullets(items.iter().map(|i| i.body_fr.as_str()))
            );
            let en = format!(
                "What happened in the mission \"{}\" since the last message:\n\n{}",
                mission.name,
                bullets(items.iter().map(|i| i.body_en.as_str()))
            );
            let letter = self.letter(&user.display_name, &fr, &en);
            match self
                .mailer
                .send_tagged(
                    &user.display_name,
                    &user.email,
                    &subject,
                    letter,
                    Some("digest"),
                )
                .await
            {
                Ok(()) => {
                    sent += 1;
                    let mut event = Event::new(AuditAction::NotificationSend, None);
                    event.mission_id = Some(mission_id.clone());
                    event.target = Some(user_id.clone());
                    event.detail = Some(json!({ "kind": "digest", "messages": n }));
                    self.audit.record(event, Outcome::Success).await?;
                }
                Err(e) => tracing::warn!(error = %e, user = %user_id, "digest not sent"),
            }
        }
        Ok(sent)
    }

    /// A deposit that arrived and passed its checks: its mission's processors are told.
    pub(crate) async fn notify_deposit_arrived(&self, actor: Option<&Actor>, file: &File) {
        let Some(mission) = self.mission_of(file).await else {
            return;
        };
        let m = mission.name.clone();
        let f = &file.name;
        self.notify(Note {
            kind: NotificationKind::DepositArrived,
            file_id: Some(file.id.clone()),
            to: To::Role(Role::Processor),
            except: actor.map(|a| a.user_id.clone()),
            subject: Text::new(
                format!("Nouveau dépôt dans « {m} »"),
                format!("New deposit in \"{m}\""),
            ),
            body: Text::new(
                format!("Le fichier « {f} » a été déposé dans la mission « {m} ». Il est disponible dans le dossier des dépôts."),
                format!("The file \"{f}\" was deposited in the mission \"{m}\". It is available in the deposits folder."),
            ),
            certificate_link: None,
            mission,
        })
        .await;
    }

    /// A deposit held in quarantine: its organisation's depositors are told what to do.
    pub(crate) async fn notify_deposit_quarantined(&self, file: &File) {
        let Some(mission) = self.mission_of(file).await else {
            return;
        };
        let m = mission.name.clone();
        let f = &file.name;
        let n = file.findings().len();
        self.notify(Note {
            kind: NotificationKind::DepositQuarantined,
            file_id: Some(file.id.clone()),
            to: To::RoleOf(Role::Depositor, file.organisation_id.clone()),
            except: None,
            subject: Text::new(
                format!("Dépôt en quarantaine dans « {m} »"),
                format!("Deposit quarantined in \"{m}\""),
            ),
            body: Text::new(
                format!(
                    "Le fichier « {f} » déposé dans la mission « {m} » est en quarantaine : le contrôle \
                     a relevé {n} élément(s) qui ressemblent à des identifiants directs. Personne d'autre \
                     que votre organisme ne le voit.\nQue faire : ouvrez la page de la mission. Si ces \
                     données ne doivent pas être transmises, supprimez le dépôt et déposez une version \
                     qui ne les contient pas ; si leur transmission est prévue par la convention, \
                     confirmez le dépôt en expliquant pourquoi."
                ),
                format!(
                    "The file \"{f}\" deposited in the mission \"{m}\" is quarantined: the check found \
                     {n} item(s) that look like direct identifiers. Nobody outside your organisation \
                     sees it.\nWhat to do: open the mission's page. If these data must not be passed \
                     on, delete the deposit and deposit a version without them; if the convention \
                     provides for passing them on, confirm the deposit and explain why."
                ),
            ),
            certificate_link: None,
            mission,
        })
        .await;
    }

    /// A quarantined deposit confirmed: the processors are told.
    pub(crate) async fn notify_deposit_confirmed(&self, actor: &Actor, file: &File) {
        let Some(mission) = self.mission_of(file).await else {
            return;
        };
        let m = mission.name.clone();
        let f = &file.name;
        self.notify(Note {
            kind: NotificationKind::DepositConfirmed,
            file_id: Some(file.id.clone()),
            to: To::Role(Role::Processor),
            except: Some(actor.user_id.clone()),
            subject: Text::new(
                format!("Dépôt confirmé dans « {m} »"),
                format!("Deposit confirmed in \"{m}\""),
            ),
            body: Text::new(
                format!("Le dépôt « {f} » de la mission « {m} », mis en quarantaine, a été confirmé par son organisme. Il est disponible dans le dossier des dépôts."),
                format!("The deposit \"{f}\" of the mission \"{m}\", which was quarantined, was confirmed by its organisation. It is available in the deposits folder."),
            ),
            certificate_link: None,
            mission,
        })
        .await;
    }

    /// A result released: the recipients are told.
    pub(crate) async fn notify_result_released(&self, actor: &Actor, file: &File) {
        let Some(mission) = self.mission_of(file).await else {
            return;
        };
        let m = mission.name.clone();
        let f = &file.name;
        self.notify(Note {
            kind: NotificationKind::ResultReleased,
            file_id: Some(file.id.clone()),
            to: To::Role(Role::Recipient),
            except: Some(actor.user_id.clone()),
            subject: Text::new(
                format!("Nouveau résultat dans « {m} »"),
                format!("New result in \"{m}\""),
            ),
            body: Text::new(
                format!(
                    "Le résultat « {f} » a été mis à votre disposition dans la mission « {m} »."
                ),
                format!("The result \"{f}\" was released to you in the mission \"{m}\"."),
            ),
            certificate_link: None,
            mission,
        })
        .await;
    }

    /// A result refused by the disclosure check: the processors are told how many cells.
    pub(crate) async fn notify_result_refused(&self, actor: &Actor, file: &File, cells: usize) {
        let Some(mission) = self.mission_of(file).await else {
            return;
        };
        let m = mission.name.clone();
        let f = &file.name;
        self.notify(Note {
            kind: NotificationKind::ResultRefused,
            file_id: Some(file.id.clone()),
            to: To::Role(Role::Processor),
            except: Some(actor.user_id.clone()),
            subject: Text::new(
                format!("Résultat refusé dans « {m} »"),
                format!("Result refused in \"{m}\""),
            ),
            body: Text::new(
                format!("Le contrôle de confidentialité a refusé la mise à disposition du résultat « {f} » dans la mission « {m} » : {cells} case(s) en cause. La page de la mission les liste ; corrigez le fichier et déposez-le à nouveau."),
                format!("The disclosure check refused to release the result \"{f}\" in the mission \"{m}\": {cells} cell(s) at fault. The mission's page lists them; correct the file and upload it again."),
            ),
            certificate_link: None,
            mission,
        })
        .await;
    }

    /// A role given to or taken from a person: that person is told (`added` says which).
    pub(crate) async fn notify_role_changed(
        &self,
        actor: &Actor,
        mission: &Mission,
        user_id: &str,
        roles: &[Role],
        added: bool,
    ) {
        if roles.is_empty() {
            return;
        }
        let m = &mission.name;
        let fr = roles
            .iter()
            .map(|r| role_fr(*r))
            .collect::<Vec<_>>()
            .join(", ");
        let en = roles
            .iter()
            .map(|r| role_en(*r))
            .collect::<Vec<_>>()
            .join(", ");
        let plural = roles.len() > 1;
        let (subject, body, to) = if added {
            (
                Text::new(
                    format!("Nouveau rôle dans « {m} »"),
                    format!("New role in \"{m}\""),
                ),
                Text::new(
                    format!("Vous avez désormais le rôle de {fr} dans la mission « {m} »."),
                    format!("You now hold the {en} role in the mission \"{m}\"."),
                ),
                To::Person(user_id.to_owned()),
            )
        } else {
            (
                Text::new(
                    format!("Rôle retiré dans « {m} »"),
                    format!("Role removed in \"{m}\""),
                ),
                if plural {
                    Text::new(
                        format!("Vos rôles ({fr}) dans la mission « {m} » vous ont été retirés : vous n'y avez plus accès."),
                        format!("Your roles ({en}) in the mission \"{m}\" were removed: you no longer have access to it."),
                    )
                } else {
                    Text::new(
                        format!("Votre rôle de {fr} dans la mission « {m} » vous a été retiré."),
                        format!("Your {en} role in the mission \"{m}\" was removed."),
                    )
                },
                To::Former(user_id.to_owned()),
            )
        };
        self.notify(Note {
            kind: NotificationKind::RoleChanged,
            mission: mission.clone(),
            file_id: None,
            to,
            except: Some(actor.user_id.clone()),
            subject,
            body,
            certificate_link: None,
        })
        .await;
    }

    /// The mission closed by a manager: every participant is told.
    pub(crate) async fn notify_mission_closed(&self, actor: &Actor, mission: &Mission) {
        let m = &mission.name;
        self.notify(Note {
            kind: NotificationKind::MissionClosed,
            mission: mission.clone(),
            file_id: None,
            to: To::Everyone,
            except: Some(actor.user_id.clone()),
            subject: Text::new(
                format!("La mission « {m} » est close"),
                format!("The mission \"{m}\" is closed"),
            ),
            body: Text::new(
                format!("La mission « {m} » a été close par son responsable. Les dépôts et les résultats non mis à disposition sont détruits ; les résultats mis à disposition restent consultables par les destinataires jusqu'à leur date de conservation."),
                format!("The mission \"{m}\" was closed by its manager. Deposits and unreleased results are destroyed; released results remain available to recipients until their retention date."),
            ),
            certificate_link: None,
        })
        .await;
    }

    /// The mission destroyed: every participant is told, with the certificate's link for those
    /// who may read it.
    pub(crate) async fn notify_mission_destroyed(&self, mission: &Mission) {
        let m = &mission.name;
        self.notify(Note {
            kind: NotificationKind::MissionDestroyed,
            mission: mission.clone(),
            file_id: None,
            to: To::Everyone,
            except: None,
            subject: Text::new(
                format!("La mission « {m} » est détruite"),
                format!("The mission \"{m}\" is destroyed"),
            ),
            body: Text::new(
                format!("Tous les fichiers de la mission « {m} » sont détruits : sa clé de chiffrement a été effacée, puis son contenu supprimé. Un certificat de destruction signé en fait foi."),
                format!("Every file of the mission \"{m}\" is destroyed: its encryption key was erased, then its content deleted. A signed destruction certificate attests it."),
            ),
            certificate_link: Some(format!("/missions/{}/certificat", mission.id)),
        })
        .await;
    }

    /// A deposit downloaded by a processor for the first time: its depositor is told, once.
    pub(crate) async fn notify_first_download(&self, actor: &Actor, file: &File, viewer: &Viewer) {
        if file.folder != crate::domain::Folder::Deposits
            || !viewer.roles.contains(&Role::Processor)
            || actor.user_id == file.uploaded_by
        {
            return;
        }
        let Some(mission) = self.mission_of(file).await else {
            return;
        };
        let now = to_millis(self.clock.now());
        match store::mark_first_download(&self.db, &file.id, now).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::error!(error = %e, "first download notice");
                return;
            }
        }
        let m = mission.name.clone();
        let f = &file.name;
        self.notify(Note {
            kind: NotificationKind::FirstDownload,
            file_id: Some(file.id.clone()),
            to: To::Person(file.uploaded_by.clone()),
            except: Some(actor.user_id.clone()),
            subject: Text::new(
                format!("Votre dépôt a été téléchargé dans « {m} »"),
                format!("Your deposit was downloaded in \"{m}\""),
            ),
            body: Text::new(
                format!("Votre dépôt « {f} » de la mission « {m} » a été téléchargé pour la première fois par un chargé d'études. La page de la mission montre qui l'a téléchargé et quand."),
                format!("Your deposit \"{f}\" of the mission \"{m}\" was downloaded for the first time by a processor. The mission's page shows who downloaded it and when."),
            ),
            certificate_link: None,
            mission,
        })
        .await;
    }

    async fn mission_of(&self, file: &File) -> Option<Mission> {
        match missions_db::get(&self.db, &file.mission_id).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "notification: reading the mission");
                None
            }
        }
    }
}
