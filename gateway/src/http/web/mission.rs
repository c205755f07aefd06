//! The mission page and what it lets people do: upload (plain form, or script with progress),
//! release, let a quarantined deposit through, delete, add and remove participants.
//!
//! Every action goes through the same services as the API, so the permission table, the checks
//! and the audit trail are the API's. A refusal shows the page again with the message next to
//! the field or file it concerns; a success redirects to the page with a notice (post/redirect/get).

use super::extract::FromFields;
use super::session::summary;
use super::{lang, page, paris, see_other, CsrfForm, PageError, PageResult, WebSession};
use crate::config::ChecksConfig;
use crate::domain::{Bilingual, CheckStatus, File, MissionStatus};
use crate::http::error::{AppError, Refusal};
use crate::http::files::{receive_upload, UploadCsrf};
use crate::http::AppState;
use crate::service::permissions::{Folder, Role, Viewer};
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{
    FileSort, FolderView, Lang, MissionFile, MissionPage, Participant, ParticipantsView,
    ReceiptLine, UploadForm, Violation,
};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::{BTreeMap, HashMap};

/// What an action leaves on the page it shows again (or redirects to).
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    upload_error: Option<(Folder, String)>,
    file_error: Option<FileError>,
    participant: Option<ParticipantError>,
}

/// A refused action on one file.
struct FileError {
    file_id: String,
    message: String,
    violations: Vec<crate::domain::Violation>,
    justification: String,
}

/// A refused participant change, with what was typed.
struct ParticipantError {
    message: String,
    username: String,
    roles: Vec<String>,
}

/// Splits a refusal: the whole page it calls for (`Err`: absent, suspended, out of hours, a CSRF
/// failure, an internal error), or the refusal the mission page shows next to the field or file
/// it concerns (`Ok`). A role refusal is shown there too when `role_by_form`; else it has its
/// own page.
fn by_form(e: AppError, role_by_form: bool) -> Result<AppError, PageError> {
    match e.refusal() {
        Refusal::Other if !e.status().is_server_error() => Ok(e),
        Refusal::Role if role_by_form => Ok(e),
        _ => Err(e.into()),
    }
}

/// The release form: a justification, and `derogation=1` to release despite a failed check.
pub(super) struct ReleaseForm {
    justification: String,
    derogation: bool,
}

impl FromFields for ReleaseForm {
    fn from_fields(f: FormFields) -> Result<Self, PageError> {
        Ok(Self {
            justification: f.value("justification").to_owned(),
            derogation: f.value("derogation") == "1",
        })
    }
}

/// The form giving roles to a user: the login typed, the roles ticked (as sent, to show again).
pub(super) struct ParticipantForm {
    username: String,
    ticked: Vec<String>,
}

impl FromFields for ParticipantForm {
    fn from_fields(f: FormFields) -> Result<Self, PageError> {
        Ok(Self {
            username: f.value("username").trim().to_owned(),
            ticked: f.all("role").map(str::to_owned).collect(),
        })
    }
}

/// `303 See Other` to the mission page, with a notice's query.
fn back_to(mission_id: &str, query: &str) -> Response {
    see_other(&format!("/missions/{mission_id}?{query}"))
}

/// The file's state in words.
fn state_words(lang: Lang, f: &File) -> &'static str {
    let t = lang.t();
    let results = f.folder == Folder::Results;
    match f.check_status {
        Some(CheckStatus::Quarantined) => t.state_quarantined,
        Some(CheckStatus::PendingScan) => t.state_pending_scan,
        Some(CheckStatus::Failed) if !f.released => t.state_check_failed,
        _ if results && f.released => t.state_released,
        _ if results => t.state_unreleased,
        _ => t.state_available,
    }
}

/// A sentence of a report in the page's language.
fn said(lang: Lang, words: Bilingual) -> String {
    match lang {
        Lang::Fr => words.fr,
        Lang::En => words.en,
    }
}

/// What the identifier scan found in a quarantined deposit, in words: one line per finding,
/// each said once (the stored sentence already names the column, the count and a masked
/// example; only a report without it is worded from its parts). (A result's failed check is
/// shown as its table of cells instead.)
fn findings(lang: Lang, f: &File) -> Vec<String> {
    if !f.check_is(CheckStatus::Quarantined) {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    for line in f.findings().iter().map(|x| said(lang, x.words())) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

/// A disclosure rule in words, with the thresholds in force (the table's other columns already
/// say where the cell is).
fn rule_words(lang: Lang, checks: &ChecksConfig, v: &crate::domain::Violation) -> String {
    said(lang, v.rule_words(&checks.thresholds()))
}

/// A refused cell as the page shows it: numbers written the page's way, the row's labels joined.
fn violation(lang: Lang, checks: &ChecksConfig, v: &crate::domain::Violation) -> Violation {
    Violation {
        sheet: v.sheet.clone().unwrap_or_default(),
        row: v.row.map(|r| r.to_string()).unwrap_or_default(),
        column: v.column.clone().unwrap_or_default(),
        value: v
            .value
            .as_deref()
            .map(|x| lang.number(x))
            .unwrap_or_default(),
        rule: rule_words(lang, checks, v),
        labels: v.labels.join(" · "),
    }
}

/// The upload form of a folder, when the caller may upload there.
fn upload_form(s: &AppState, lang: Lang, mission_id: &str, folder: Folder) -> UploadForm {
    let extensions = s.core.accepted_extensions(folder);
    let limit = s.core.config.max_upload_bytes;
    let (web, api) = match folder {
        Folder::Deposits => ("depots", "deposits"),
        Folder::Results => ("resultats", "results"),
    };
    UploadForm {
        folder: folder.as_str().to_owned(),
        action: format!("/missions/{mission_id}/{web}"),
        api: format!("/api/v1/missions/{mission_id}/{api}"),
        accept: extensions
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(","),
        formats: extensions.join(", "),
        max_bytes: limit,
        max_size: lang.size_limit(limit),
        error: None,
    }
}

/// The notice a redirect's query asks for, naming the file it concerns, and whether it is a
/// warning (a deposit held in quarantine) rather than a success.
fn notice(lang: Lang, query: &HashMap<String, String>, files: &[File]) -> Option<(String, bool)> {
    let t = lang.t();
    let named = |key: &str| {
        let id = query.get(key)?;
        files.iter().find(|f| &f.id == id)
    };
    if let Some(ids) = query.get("depose") {
        // Several uploads at once name their files with commas; only files the caller sees count.
        let uploaded: Vec<&File> = files
            .iter()
            .filter(|f| ids.split(',').any(|id| id == f.id))
            .collect();
        let held = uploaded
            .iter()
            .filter(|f| f.check_is(CheckStatus::Quarantined))
            .count();
        match uploaded.as_slice() {
            [] => {}
            [f] => return Some((lang.notice_uploaded(&f.name, held > 0), held > 0)),
            many => return Some((lang.notice_uploaded_many(many.len(), held), held > 0)),
        }
    }
    if let Some(f) = named("diffuse") {
        return Some((lang.notice_released(&f.name), false));
    }
    if let Some(f) = named("transmis") {
        return Some((lang.notice_confirmed(&f.name), false));
    }
    if query.contains_key("supprime") {
        return Some((t.notice_deleted.to_owned(), false));
    }
    match query.get("participant").map(String::as_str) {
        Some("ajoute") => Some((t.notice_participant_added.to_owned(), false)),
        Some("retire") => Some((t.notice_participant_removed.to_owned(), false)),
        _ => None,
    }
}

/// How many downloads the page lists under a file, the newest (the API lists more).
const PAGE_RECEIPT_LINES: i64 = 20;

/// The first characters of a file's id: enough to tell apart two files of the same name.
fn short_id(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect()
}

/// Renders the mission page for the session, with what the last action left.
async fn render(
    s: &AppState,
    session: &Session,
    mission_id: &str,
    status: StatusCode,
    query: &HashMap<String, String>,
    outcome: Outcome,
) -> PageResult {
    let actor = &session.actor;
    let (view, participants) = s.core.mission(actor, mission_id).await?;
    let (_, viewer): (_, Viewer) = s.core.viewer(actor, mission_id).await?;
    let destroyed = view.mission.status == MissionStatus::Destroyed;
    let abilities = viewer.mission_abilities(&view.mission);
    // A destroyed mission has no files left: the service answers it as absent. A suspended
    // one lists none until it resumes (its page says so).
    let suspended = view.mission.status == MissionStatus::Suspended;
    let files = if destroyed || suspended {
        Vec::new()
    } else {
        s.core.list_files(actor, mission_id).await?
    };
    let lang = lang();
    let sort = FileSort::from_query(
        query.get("tri").map(String::as_str),
        query.get("ordre").map(String::as_str),
    );
    // A manager who is not a recipient does not see the released results: the page says how
    // many there are rather than « no result yet ».
    let results_unseen = if abilities.audit && abilities.work_on_files {
        match s.core.released_results_unseen(actor, mission_id).await {
            Ok(n) => n,
            Err(Error::Forbidden | Error::NotFound) => 0,
            Err(e) => return Err(e.into()),
        }
    } else {
        0
    };
    // Who downloaded each file, for those who may know (the newest downloads only).
    let receipts = s
        .core
        .page_receipts(actor, mission_id, &files, PAGE_RECEIPT_LINES)
        .await?;
    let mut org_names: BTreeMap<String, String> = BTreeMap::new();
    let mut downloaders_orgs: Vec<String> = Vec::new();
    for r in receipts.values() {
        for d in &r.downloads {
            downloaders_orgs.push(d.organisation_id.clone());
        }
    }
    let org_ids = files
        .iter()
        .map(|f| f.organisation_id.clone())
        .chain(participants.iter().map(|p| p.organisation_id.clone()))
        .chain(downloaders_orgs);
    for id in org_ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = org_names.entry(id) {
            let name = match s.core.organisation(slot.key()).await {
                Ok(org) => org.name,
                Err(Error::NotFound) => String::new(),
                Err(e) => return Err(e.into()),
            };
            slot.insert(name);
        }
    }
    let org = |id: &str| org_names.get(id).cloned().unwrap_or_default();
    let mut people_names: BTreeMap<String, String> = BTreeMap::new();
    for f in &files {
        if let std::collections::btree_map::Entry::Vacant(slot) =
            people_names.entry(f.uploaded_by.clone())
        {
            let name = s.core.display_name(slot.key()).await?.unwrap_or_default();
            slot.insert(name);
        }
    }
    let uploader = |id: &str| people_names.get(id).cloned().unwrap_or_default();
    let receipt_of: HashMap<&str, admin_ui::Receipt> = receipts
        .iter()
        .map(|(id, r)| {
            let lines: Vec<ReceiptLine> = r
                .downloads
                .iter()
                .map(|d| ReceiptLine {
                    who: d.display_name.clone(),
                    organisation: org(&d.organisation_id),
                    at: paris(lang, d.at),
                    partial: d.partial,
                })
                .collect();
            (id.as_str(), admin_ui::Receipt::new(lang, &lines, r.total))
        })
        .collect();
    let line = |f: &File| {
        let may = viewer.file_abilities(&view.mission, f);
        let mut line = MissionFile {
            id: f.id.clone(),
            name: f.name.clone(),
            organisation: org(&f.organisation_id),
            size: lang.file_size(f.size),
            uploaded_at: paris(lang, f.uploaded_at),
            state: state_words(lang, f).to_owned(),
            short_id: short_id(&f.id),
            uploaded_by: uploader(&f.uploaded_by),
            size_bytes: f.size,
            uploaded_ms: f.uploaded_at,
            quarantined: f.check_is(CheckStatus::Quarantined),
            can_download: may.download,
            can_release: may.release,
            can_override: may.override_release,
            can_confirm: may.confirm,
            can_delete: may.delete,
            findings: findings(lang, f),
            receipt: receipt_of.get(f.id.as_str()).cloned(),
            ..Default::default()
        };
        if let Some(e) = outcome.file_error.as_ref().filter(|e| e.file_id == f.id) {
            line.error = Some(e.message.clone());
            line.violations = e
                .violations
                .iter()
                .map(|v| violation(lang, &s.core.config.checks, v))
                .collect();
            line.justification = e.justification.clone();
        } else if f.check_is(CheckStatus::Failed) && f.folder == Folder::Results && !f.released {
            // The cells that stopped the last release, until the result is replaced or overridden.
            line.violations = f
                .violations()
                .iter()
                .map(|v| violation(lang, &s.core.config.checks, v))
                .collect();
        }
        line
    };
    let folder_view = |folder: Folder, may_upload: bool| {
        let mut upload = may_upload.then(|| upload_form(s, lang, mission_id, folder));
        if let (Some(form), Some((f, message))) = (upload.as_mut(), outcome.upload_error.as_ref()) {
            if *f == folder {
                form.error = Some(message.clone());
            }
        }
        let mut lines: Vec<MissionFile> = files
            .iter()
            .filter(|f| f.folder == folder)
            .map(line)
            .collect();
        sort.apply(&mut lines);
        FolderView {
            files: lines,
            upload,
        }
    };
    let deposits = folder_view(Folder::Deposits, abilities.upload_deposit);
    let has_deposit_role = view
        .my_roles
        .iter()
        .any(|r| matches!(r, Role::Depositor | Role::Processor));
    let show_deposits = view.mission.status.still_running()
        && (has_deposit_role || viewer.platform_admin || !deposits.files.is_empty());
    let results = folder_view(Folder::Results, abilities.upload_result);
    // One line per person, their roles together.
    let mut people: Vec<Participant> = Vec::new();
    for p in &participants {
        let role = lang.role_name(p.role.as_str());
        // A processor reads the raw deposits: who granted it, and when, is shown to everyone.
        let grant = (p.role == Role::Processor).then(|| {
            let at = crate::clock::from_millis(p.added_at);
            let at = match lang {
                Lang::Fr => crate::clock::paris_fr(at),
                Lang::En => crate::clock::paris_en(at),
            };
            let by = p.granted_by_name.as_deref().unwrap_or("?");
            lang.role_granted(p.role.as_str(), by, &at)
        });
        match people.iter_mut().find(|x| x.user_id == p.user_id) {
            Some(x) => {
                x.roles.push_str(", ");
                x.roles.push_str(role);
                x.grants.extend(grant);
            }
            None => people.push(Participant {
                user_id: p.user_id.clone(),
                name: p.display_name.clone(),
                organisation: org(&p.organisation_id),
                roles: role.to_owned(),
                grants: grant.into_iter().collect(),
            }),
        }
    }
    let mut participants_view = ParticipantsView {
        list: people,
        manage: abilities.manage,
        ..Default::default()
    };
    if let Some(p) = outcome.participant {
        participants_view.error = Some(p.message);
        participants_view.username = p.username;
        participants_view.roles = p.roles;
    }
    let now_ms = s.core.clock.now().timestamp_millis();
    let (notice, notice_is_warning) = match outcome.notice {
        Some(n) => (Some(n), false),
        None => match notice(lang, query, &files) {
            Some((n, warning)) => (Some(n), warning),
            None => (super::mission_manage::notice(lang, query), false),
        },
    };
    let (manage, state) =
        super::mission_manage::views(s, actor, &view.mission, abilities.manage).await?;
    Ok(page(
        status,
        &MissionPage {
            lang,
            path: format!("/missions/{}", view.mission.id),
            csrf_token: session.csrf_token.clone(),
            mission: summary(lang, now_ms, &view.mission, &view.my_roles),
            purpose: view.mission.purpose.clone(),
            notice,
            deposits: show_deposits.then_some(deposits),
            results,
            participants: participants_view,
            destroyed,
            manage,
            state,
            notice_is_warning,
            sort,
            results_unseen,
        },
    ))
}

/// `GET /missions/{id}`.
pub(super) async fn show(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> PageResult {
    render(
        &s,
        &session,
        &id,
        StatusCode::OK,
        &query,
        Outcome::default(),
    )
    .await
}

/// The multipart upload of the form without script: the `csrf_token` part comes before the
/// file, checked while the body streams.
async fn upload(
    s: AppState,
    session: Session,
    id: String,
    folder: Folder,
    request: Request,
) -> PageResult {
    let token = session.csrf_token.clone();
    let refused = match receive_upload(
        &s.core,
        &session.actor,
        &id,
        folder,
        request,
        UploadCsrf::InForm(&token),
    )
    .await
    {
        Ok(row) => return Ok(back_to(&id, &format!("depose={}", row.id))),
        // A role without this folder has no form on this page to show it by: its own page.
        Err(e) => by_form(e, false)?,
    };
    let outcome = Outcome {
        upload_error: Some((folder, refused.message().to_owned())),
        ..Default::default()
    };
    let status = refused.status();
    render(&s, &session, &id, status, &HashMap::new(), outcome).await
}

/// `POST /missions/{id}/depots`.
pub(super) async fn upload_deposit(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    request: Request,
) -> PageResult {
    upload(s, session, id, Folder::Deposits, request).await
}

/// `POST /missions/{id}/resultats`.
pub(super) async fn upload_result(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    request: Request,
) -> PageResult {
    upload(s, session, id, Folder::Results, request).await
}

/// Shows the mission page again with a file action's refusal next to the file.
async fn file_refused(
    s: &AppState,
    session: &Session,
    file: &File,
    e: Error,
    justification: &str,
) -> PageResult {
    let violations = match &e {
        Error::DisclosureCheckFailed(v) => v.clone(),
        _ => Vec::new(),
    };
    let e = by_form(e.into(), true)?;
    let outcome = Outcome {
        file_error: Some(FileError {
            file_id: file.id.clone(),
            message: e.message().to_owned(),
            violations,
            justification: justification.to_owned(),
        }),
        ..Default::default()
    };
    render(
        s,
        session,
        &file.mission_id,
        e.status(),
        &HashMap::new(),
        outcome,
    )
    .await
}

/// `POST /fichiers/{id}/diffusion`: releases a result (with `derogation=1` and a justification:
/// despite its failed disclosure check).
pub(super) async fn release(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ReleaseForm>,
) -> PageResult {
    let file = s.core.file(&session.actor, &id).await?;
    let override_justification = f.derogation.then_some(f.justification.as_str());
    match s
        .core
        .release(&session.actor, &id, override_justification)
        .await
    {
        Ok(_) => Ok(back_to(&file.mission_id, &format!("diffuse={id}"))),
        Err(e) => file_refused(&s, &session, &file, e, &f.justification).await,
    }
}

/// `POST /fichiers/{id}/confirmation`: lets a quarantined deposit through.
pub(super) async fn confirm(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm,
) -> PageResult {
    let file = s.core.file(&session.actor, &id).await?;
    let justification = f.value("justification");
    match s
        .core
        .confirm_deposit(&session.actor, &id, justification)
        .await
    {
        Ok(_) => Ok(back_to(&file.mission_id, &format!("transmis={id}"))),
        Err(e) => file_refused(&s, &session, &file, e, justification).await,
    }
}

/// `POST /fichiers/{id}/suppression`.
pub(super) async fn delete(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    _: CsrfForm,
) -> PageResult {
    let file = s.core.file(&session.actor, &id).await?;
    match s.core.delete_file(&session.actor, &id).await {
        Ok(()) => Ok(back_to(&file.mission_id, "supprime=1")),
        Err(e) => file_refused(&s, &session, &file, e, "").await,
    }
}

/// Shows the mission page again with a participant change's refusal by the form, what was typed
/// kept.
async fn participant_refused(
    s: &AppState,
    session: &Session,
    mission_id: &str,
    e: Error,
    typed: ParticipantForm,
) -> PageResult {
    let e = by_form(e.into(), true)?;
    let outcome = Outcome {
        participant: Some(ParticipantError {
            message: e.message().to_owned(),
            username: typed.username,
            roles: typed.ticked,
        }),
        ..Default::default()
    };
    render(s, session, mission_id, e.status(), &HashMap::new(), outcome).await
}

/// `POST /missions/{id}/participants`: gives roles to the user named in the form.
pub(super) async fn add_participant(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ParticipantForm>,
) -> PageResult {
    let roles: Vec<Role> = f.ticked.iter().filter_map(|r| Role::parse(r)).collect();
    let result = s
        .core
        .add_participant_by_username(&session.actor, &id, &f.username, &roles)
        .await;
    match result {
        Ok(()) => Ok(back_to(&id, "participant=ajoute")),
        Err(e) => participant_refused(&s, &session, &id, e, f).await,
    }
}

/// `POST /missions/{id}/participants/{user_id}/retrait`: ends a participant's access.
pub(super) async fn remove_participant(
    State(s): State<AppState>,
    WebSession(session): WebSession,
    Path((id, user_id)): Path<(String, String)>,
    _: CsrfForm,
) -> PageResult {
    match s
        .core
        .remove_participant(&session.actor, &id, &user_id)
        .await
    {
        Ok(()) => Ok(back_to(&id, "participant=retire")),
        Err(e) => {
            let typed = ParticipantForm {
                username: String::new(),
                ticked: Vec::new(),
            };
            participant_refused(&s, &session, &id, e, typed).await
        }
    }
}
