//! The mission page and what it lets people do: upload (plain form, or script with progress),
//! release, let a quarantined deposit through, delete, add and remove participants.
//!
//! Every action goes through the same services as the API, so the permission table, the checks
//! and the audit trail are the API's. A refusal shows the page again with the message next to
//! the field or file it concerns; a success redirects to the page with a notice (post/redirect/get).

use super::session::summary;
use super::{
    csrf_refusal, internal, lang, page, paris, see_other, to_login, visitor, Visitor, WebForm,
};
use crate::config::ChecksConfig;
use crate::db::files::FileRow;
use crate::http::error::AppError;
use crate::http::extract::ClientIp;
use crate::http::files::{receive_upload, UploadCsrf};
use crate::http::AppState;
use crate::service::files::facts;
use crate::service::permissions::{Decision, FileAction, Folder, MissionAction, Role, Viewer};
use crate::service::sessions::Session;
use crate::service::Error;
use admin_ui::form::FormFields;
use admin_ui::{
    ErrorPage, FolderView, Lang, MissionFile, MissionPage, Participant, ParticipantsView,
    UploadForm, Violation,
};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;
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
    violations: Vec<Value>,
    justification: String,
}

/// A refused participant change, with what was typed.
struct ParticipantError {
    message: String,
    username: String,
    roles: Vec<String>,
}

/// A session, or the response for a visitor without one.
async fn signed_in(s: &AppState, headers: &HeaderMap, ip: &str) -> Result<Session, Response> {
    match visitor(s, headers, ip).await {
        Ok(Visitor::SignedIn(session)) => Ok(session),
        Ok(other) => Err(to_login(&other)),
        Err(response) => Err(response),
    }
}

/// The whole page answering a refusal that leaves nothing to show on the mission page (absent,
/// suspended, out of hours, an internal error), or `None` when the refusal belongs next to the
/// field or file it concerns.
fn whole_page(e: &AppError) -> Option<Response> {
    let lang = lang();
    let shown = match (e.status(), e.code()) {
        (StatusCode::NOT_FOUND, _) => ErrorPage::not_found(lang),
        (StatusCode::LOCKED, _) => ErrorPage::mission_suspended(lang),
        (StatusCode::FORBIDDEN, "outside_access_hours") => ErrorPage::outside_access_hours(lang),
        (status, _) if status.is_server_error() => ErrorPage::internal(lang),
        _ => return None,
    };
    Some(page(e.status(), &shown))
}

/// The page answering a refusal where there is no form to show it next to.
fn refusal(e: Error) -> Response {
    let e = AppError::from(e);
    whole_page(&e).unwrap_or_else(|| page(e.status(), &ErrorPage::bad_request(lang(), e.message())))
}

/// A signed-in form post: the session, once the form's CSRF token matches it.
async fn signed_in_post(
    s: &AppState,
    headers: &HeaderMap,
    ip: &str,
    form: &FormFields,
) -> Result<Session, Response> {
    let session = signed_in(s, headers, ip).await?;
    match csrf_refusal(form, &session) {
        Some(refused) => Err(refused),
        None => Ok(session),
    }
}

/// `303 See Other` to the mission page, with a notice's query.
fn back_to(mission_id: &str, query: &str) -> Response {
    see_other(&format!("/missions/{mission_id}?{query}"))
}

fn allowed(decision: Decision) -> bool {
    decision == Decision::Allow
}

/// The file's state in words.
fn state_words(lang: Lang, f: &FileRow) -> &'static str {
    let t = lang.t();
    let results = f.folder == "results";
    match f.check_status.as_deref() {
        Some("quarantined") => t.state_quarantined,
        Some(crate::service::antivirus::PENDING_SCAN) => t.state_pending_scan,
        Some("failed") if f.released == 0 => t.state_check_failed,
        _ if results && f.released != 0 => t.state_released,
        _ if results => t.state_unreleased,
        _ => t.state_available,
    }
}

/// The stored report of the scan (deposits) or of the disclosure check (results).
fn stored_report(f: &FileRow) -> Vec<Value> {
    f.check_report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default()
}

/// What the identifier scan found in a quarantined deposit, in words. (A result's failed check
/// is shown as its table of cells instead.)
fn findings(lang: Lang, f: &FileRow) -> Vec<String> {
    if f.check_status.as_deref() != Some("quarantined") {
        return Vec::new();
    }
    stored_report(f)
        .iter()
        .map(|x| {
            let text = |key: &str| x.get(key).and_then(Value::as_str).unwrap_or_default();
            let message = x
                .get("message")
                .and_then(|m| m.get(lang.code()))
                .and_then(Value::as_str)
                .unwrap_or_else(|| text("kind"));
            let mut line = message.to_owned();
            let column = text("column");
            if !column.is_empty() {
                line.push_str(&match lang {
                    Lang::Fr => format!(" — colonne « {column} »"),
                    Lang::En => format!(" — column “{column}”"),
                });
            }
            if let Some(sheet) = x.get("sheet").and_then(Value::as_str) {
                line.push_str(&match lang {
                    Lang::Fr => format!(", feuille « {sheet} »"),
                    Lang::En => format!(", sheet “{sheet}”"),
                });
            }
            if let Some(n) = x.get("count").and_then(Value::as_u64).filter(|n| *n > 0) {
                line.push_str(&match lang {
                    Lang::Fr => format!(" ({n} cellule{})", if n > 1 { "s" } else { "" }),
                    Lang::En => format!(" ({n} cell{})", if n > 1 { "s" } else { "" }),
                });
            }
            let example = text("example");
            if !example.is_empty() {
                line.push_str(&match lang {
                    Lang::Fr => format!(" ; exemple masqué : {example}"),
                    Lang::En => format!("; masked example: {example}"),
                });
            }
            line
        })
        .collect()
}

/// A disclosure rule in words, with the thresholds in force (the table's other columns already
/// say where the cell is).
fn rule_words(lang: Lang, checks: &ChecksConfig, v: &Value) -> String {
    let rule = v.get("rule").and_then(Value::as_str).unwrap_or_default();
    let n = checks.min_count;
    let rate = checks.min_response_rate;
    let rate = if rate.fract() == 0.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate}")
    };
    match (lang, rule) {
        (Lang::Fr, "min_count") => {
            format!(
                "effectif de 1 à {} : secret statistique (seuil {n})",
                n.saturating_sub(1)
            )
        }
        (Lang::Fr, "extreme_share") => {
            "part de 0 % ou de 100 % : elle révèle une caractéristique de tous les ménages"
                .to_owned()
        }
        (Lang::Fr, "low_response_rate") => {
            format!("taux de réponse inférieur à {rate} % : résultat trop peu fiable")
        }
        (Lang::Fr, "recomputable_cell") => {
            "case masquée qu'un total permet de retrouver".to_owned()
        }
        (Lang::En, "min_count") => format!(
            "count of 1 to {}: statistical confidentiality (threshold {n})",
            n.saturating_sub(1)
        ),
        (Lang::En, "extreme_share") => {
            "share of 0% or 100%: it reveals a trait of every household".to_owned()
        }
        (Lang::En, "low_response_rate") => {
            format!("response rate under {rate}%: result not reliable enough")
        }
        (Lang::En, "recomputable_cell") => "suppressed cell a total gives back".to_owned(),
        _ => v
            .get("message")
            .and_then(|m| m.get(lang.code()))
            .and_then(Value::as_str)
            .unwrap_or(rule)
            .to_owned(),
    }
}

fn violation(lang: Lang, checks: &ChecksConfig, v: &Value) -> Violation {
    let text = |key: &str| match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Violation {
        sheet: text("sheet"),
        row: text("row"),
        column: text("column"),
        value: text("value"),
        rule: rule_words(lang, checks, v),
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

/// The notice a redirect's query asks for, naming the file it concerns.
fn notice(lang: Lang, query: &HashMap<String, String>, files: &[FileRow]) -> Option<String> {
    let t = lang.t();
    let named = |key: &str| {
        let id = query.get(key)?;
        files.iter().find(|f| &f.id == id)
    };
    if let Some(f) = named("depose") {
        let quarantined = f.check_status.as_deref() == Some("quarantined");
        return Some(lang.notice_uploaded(&f.name, quarantined));
    }
    if let Some(f) = named("diffuse") {
        return Some(lang.notice_released(&f.name));
    }
    if let Some(f) = named("transmis") {
        return Some(lang.notice_confirmed(&f.name));
    }
    if query.contains_key("supprime") {
        return Some(t.notice_deleted.to_owned());
    }
    match query.get("participant").map(String::as_str) {
        Some("ajoute") => Some(t.notice_participant_added.to_owned()),
        Some("retire") => Some(t.notice_participant_removed.to_owned()),
        _ => None,
    }
}

/// Renders the mission page for the session, with what the last action left.
async fn render(
    s: &AppState,
    session: &Session,
    mission_id: &str,
    status: StatusCode,
    query: &HashMap<String, String>,
    outcome: Outcome,
) -> Response {
    let actor = &session.actor;
    let (view, participants) = match s.core.mission(actor, mission_id).await {
        Ok(found) => found,
        Err(e) => return refusal(e),
    };
    let viewer: Viewer = match s.core.viewer(actor, mission_id).await {
        Ok((_, viewer)) => viewer,
        Err(e) => return refusal(e),
    };
    let status_word = view.mission.status.as_str();
    // A destroyed mission has no files left: the service answers it as absent.
    let files = if status_word == "destroyed" {
        Vec::new()
    } else {
        match s.core.list_files(actor, mission_id).await {
            Ok(files) => files,
            Err(e) => return refusal(e),
        }
    };
    let lang = lang();
    let mut org_names: BTreeMap<String, String> = BTreeMap::new();
    let org_ids = files
        .iter()
        .map(|f| f.organisation_id.clone())
        .chain(participants.iter().map(|p| p.organisation_id.clone()));
    for id in org_ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = org_names.entry(id) {
            let name = match s.core.organisation(slot.key()).await {
                Ok(org) => org.name,
                Err(Error::NotFound) => String::new(),
                Err(e) => return internal(&e),
            };
            slot.insert(name);
        }
    }
    let org = |id: &str| org_names.get(id).cloned().unwrap_or_default();
    let open = status_word == "active";
    let line = |f: &FileRow| {
        let facts = facts(f);
        let may = |action| allowed(viewer.file(&facts, action));
        let failed = f.check_status.as_deref() == Some("failed");
        let mut line = MissionFile {
            id: f.id.clone(),
            name: f.name.clone(),
            organisation: org(&f.organisation_id),
            size: lang.file_size(f.size),
            uploaded_at: paris(lang, f.uploaded_at),
            state: state_words(lang, f).to_owned(),
            can_download: may(FileAction::Download),
            can_release: open
                && f.released == 0
                && !failed
                && f.folder == "results"
                && may(FileAction::Release),
            can_override: open && f.released == 0 && failed && may(FileAction::OverrideRelease),
            can_confirm: open
                && f.check_status.as_deref() == Some("quarantined")
                && may(FileAction::Confirm),
            can_delete: open && may(FileAction::Delete),
            findings: findings(lang, f),
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
        } else if failed && f.folder == "results" && f.released == 0 {
            // The cells that stopped the last release, until the result is replaced or overridden.
            line.violations = stored_report(f)
                .iter()
                .map(|v| violation(lang, &s.core.config.checks, v))
                .collect();
        }
        line
    };
    let folder_view = |folder: Folder, may_upload: bool| {
        let mut upload = (open && may_upload).then(|| upload_form(s, lang, mission_id, folder));
        if let (Some(form), Some((f, message))) = (upload.as_mut(), outcome.upload_error.as_ref()) {
            if *f == folder {
                form.error = Some(message.clone());
            }
        }
        FolderView {
            files: files
                .iter()
                .filter(|f| f.folder == folder.as_str())
                .map(line)
                .collect(),
            upload,
        }
    };
    let upload_deposits = allowed(viewer.mission(MissionAction::UploadDeposit));
    let deposits = folder_view(Folder::Deposits, upload_deposits);
    let has_deposit_role = view
        .my_roles
        .iter()
        .any(|r| matches!(r, Role::Depositor | Role::Processor));
    let show_deposits = has_deposit_role || viewer.platform_admin || !deposits.files.is_empty();
    let results = folder_view(
        Folder::Results,
        allowed(viewer.mission(MissionAction::UploadResult)),
    );
    // One line per person, their roles together.
    let mut people: Vec<Participant> = Vec::new();
    for p in &participants {
        let role = lang.role_name(&p.role);
        // A processor reads the raw deposits: who granted it, and when, is shown to everyone.
        let grant = (p.role == Role::Processor.as_str()).then(|| {
            let at = crate::clock::from_millis(p.added_at);
            let at = match lang {
                Lang::Fr => crate::clock::paris_fr(at),
                Lang::En => crate::clock::paris_en(at),
            };
            let by = p.granted_by_name.as_deref().unwrap_or("?");
            lang.role_granted(&p.role, by, &at)
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
    let manage = allowed(viewer.mission(MissionAction::Manage))
        && matches!(status_word, "active" | "suspended");
    let mut participants_view = ParticipantsView {
        list: people,
        manage,
        ..Default::default()
    };
    if let Some(p) = outcome.participant {
        participants_view.error = Some(p.message);
        participants_view.username = p.username;
        participants_view.roles = p.roles;
    }
    let now_ms = s.core.clock.now().timestamp_millis();
    let notice = outcome.notice.or_else(|| notice(lang, query, &files));
    page(
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
            destroyed: status_word == "destroyed",
        },
    )
}

/// `GET /missions/{id}`.
pub(super) async fn show(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = match signed_in(&s, &headers, &ip).await {
        Ok(session) => session,
        Err(response) => return response,
    };
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

/// The multipart upload of the form without script: the `csrf_token` part comes before the file.
async fn upload(s: AppState, ip: String, id: String, folder: Folder, request: Request) -> Response {
    if super::cross_site(request.headers(), request.uri()) {
        return page(StatusCode::FORBIDDEN, &ErrorPage::cross_site(lang()));
    }
    let session = match signed_in(&s, request.headers(), &ip).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let token = session.csrf_token.clone();
    match receive_upload(
        &s.core,
        &session.actor,
        &id,
        folder,
        request,
        UploadCsrf::InForm(&token),
    )
    .await
    {
        Ok(row) => back_to(&id, &format!("depose={}", row.id)),
        Err(e) => {
            if let Some(shown) = whole_page(&e) {
                return shown;
            }
            if e.status() == StatusCode::FORBIDDEN {
                // No token, or a role without this folder: no form of this page can show it.
                return page(StatusCode::FORBIDDEN, &ErrorPage::csrf(lang()));
            }
            let outcome = Outcome {
                upload_error: Some((folder, e.message().to_owned())),
                ..Default::default()
            };
            render(&s, &session, &id, e.status(), &HashMap::new(), outcome).await
        }
    }
}

/// `POST /missions/{id}/depots`.
pub(super) async fn upload_deposit(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    upload(s, ip, id, Folder::Deposits, request).await
}

/// `POST /missions/{id}/resultats`.
pub(super) async fn upload_result(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    upload(s, ip, id, Folder::Results, request).await
}

/// A file action's common steps: the session, the CSRF token, the file (for its mission).
async fn file_action(
    s: &AppState,
    headers: &HeaderMap,
    ip: &str,
    file_id: &str,
    form: &FormFields,
) -> Result<(Session, FileRow), Response> {
    let session = signed_in_post(s, headers, ip, form).await?;
    let file = s
        .core
        .file(&session.actor, file_id)
        .await
        .map_err(refusal)?;
    Ok((session, file))
}

/// Shows the mission page again with a file action's refusal next to the file.
async fn file_refused(
    s: &AppState,
    session: &Session,
    file: &FileRow,
    e: Error,
    justification: &str,
) -> Response {
    let e = AppError::from(e);
    if let Some(shown) = whole_page(&e) {
        return shown;
    }
    let outcome = Outcome {
        file_error: Some(FileError {
            file_id: file.id.clone(),
            message: e.message().to_owned(),
            violations: e.violations().to_vec(),
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
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    WebForm(f): WebForm,
) -> Response {
    let (session, file) = match file_action(&s, &headers, &ip, &id, &f).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let justification = f.value("justification");
    let override_justification = (f.value("derogation") == "1").then_some(justification);
    match s
        .core
        .release(&session.actor, &id, override_justification)
        .await
    {
        Ok(_) => back_to(&file.mission_id, &format!("diffuse={id}")),
        Err(e) => file_refused(&s, &session, &file, e, justification).await,
    }
}

/// `POST /fichiers/{id}/confirmation`: lets a quarantined deposit through.
pub(super) async fn confirm(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    WebForm(f): WebForm,
) -> Response {
    let (session, file) = match file_action(&s, &headers, &ip, &id, &f).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let justification = f.value("justification");
    match s
        .core
        .confirm_deposit(&session.actor, &id, justification)
        .await
    {
        Ok(_) => back_to(&file.mission_id, &format!("transmis={id}")),
        Err(e) => file_refused(&s, &session, &file, e, justification).await,
    }
}

/// `POST /fichiers/{id}/suppression`.
pub(super) async fn delete(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    WebForm(f): WebForm,
) -> Response {
    let (session, file) = match file_action(&s, &headers, &ip, &id, &f).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match s.core.delete_file(&session.actor, &id).await {
        Ok(()) => back_to(&file.mission_id, "supprime=1"),
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
    username: String,
    roles: Vec<String>,
) -> Response {
    let e = AppError::from(e);
    if let Some(shown) = whole_page(&e) {
        return shown;
    }
    let outcome = Outcome {
        participant: Some(ParticipantError {
            message: e.message().to_owned(),
            username,
            roles,
        }),
        ..Default::default()
    };
    render(s, session, mission_id, e.status(), &HashMap::new(), outcome).await
}

/// `POST /missions/{id}/participants`: gives roles to the user named in the form.
pub(super) async fn add_participant(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    WebForm(f): WebForm,
) -> Response {
    let session = match signed_in_post(&s, &headers, &ip, &f).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let ticked: Vec<String> = f.all("role").map(str::to_owned).collect();
    let roles: Vec<Role> = ticked.iter().filter_map(|r| Role::parse(r)).collect();
    let username = f.value("username").trim().to_owned();
    let result = s
        .core
        .add_participant_by_username(&session.actor, &id, &username, &roles)
        .await;
    match result {
        Ok(()) => back_to(&id, "participant=ajoute"),
        Err(e) => participant_refused(&s, &session, &id, e, username, ticked).await,
    }
}

/// `POST /missions/{id}/participants/{user_id}/retrait`: ends a participant's access.
pub(super) async fn remove_participant(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path((id, user_id)): Path<(String, String)>,
    WebForm(f): WebForm,
) -> Response {
    let session = match signed_in_post(&s, &headers, &ip, &f).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match s
        .core
        .remove_participant(&session.actor, &id, &user_id)
        .await
    {
        Ok(()) => back_to(&id, "participant=retire"),
        Err(e) => participant_refused(&s, &session, &id, e, String::new(), Vec::new()).await,
    }
}
