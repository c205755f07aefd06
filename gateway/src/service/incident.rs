//! Incident reports: what a time window of the audit trail (optionally narrowed to some
//! accounts, addresses or missions) touched — missions, files, organisations, accounts and
//! addresses, with their outcomes — and who signed in from the addresses concerned.
//!
//! This module gathers the facts ([`IncidentFacts`]); [`crate::exports`] words them (the CNIL
//! draft, the CSVs, the printable page) and signs the JSON with the certificates' key. Platform
//! administrators only (the command line acts as the operator); generating one is recorded.

use super::audit::{Event, Outcome};
pub use super::incident_facts::{
    ActorTouched, ControllerSummary, FileTouched, IncidentFacts, LoginSeen, MissionTouched, Named,
    OrganisationTouched, Outcomes, Touches,
};
use super::incident_facts::{Interned, Tally};
use super::{Actor, Core, Error, Result, Text};
pub use crate::db::incident::{IncidentEvent, IncidentScope, TouchedFile};
use crate::db::{incident as store, missions, orgs, users};
use crate::domain::{AuditAction, Finding, FindingKind, Folder};
use std::collections::{BTreeMap, HashMap};

/// What an operator asks a report about: a window and optional accounts (ids or logins),
/// addresses and missions (ids or exact names).
#[derive(Debug, Clone, Default)]
pub struct IncidentRequest {
    /// Start of the window.
    pub from: chrono::DateTime<chrono::Utc>,
    /// End of the window (excluded).
    pub to: chrono::DateTime<chrono::Utc>,
    /// Accounts, by id or login.
    pub accounts: Vec<String>,
    /// Source addresses.
    pub addresses: Vec<String>,
    /// Missions, by id or exact name.
    pub missions: Vec<String>,
}

/// The stored word of a signed incident report's `type`.
pub const REPORT_TYPE: &str = "passerelle-incident-report";
/// The signed report's file name in the bundle.
pub const REPORT_JSON: &str = "rapport.json";
/// The printable page's file name in the bundle.
pub const REPORT_HTML: &str = "rapport.html";

/// A generated report: its files, in order, and the facts they state.
#[derive(Debug, Clone)]
pub struct IncidentBundle {
    /// `(file name, bytes)`: the signed JSON, the page, then the CSVs.
    pub files: Vec<(String, Vec<u8>)>,
    /// The facts.
    pub facts: IncidentFacts,
}

impl IncidentBundle {
    /// One file's bytes, by name.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// Every file in one zip archive (deflated), for a download.
    pub fn zip(&self) -> Result<Vec<u8>> {
        use std::io::Write as _;
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &self.files {
            out.start_file(name.as_str(), options)
                .map_err(|e| Error::Unexpected(e.into()))?;
            out.write_all(bytes)
                .map_err(|e| Error::Unexpected(e.into()))?;
        }
        Ok(out
            .finish()
            .map_err(|e| Error::Unexpected(e.into()))?
            .into_inner())
    }
}

/// The login written for the gateway's own events.
pub const GATEWAY_LOGIN: &str = "passerelle";

/// The longest list of accounts, addresses or missions a report may be asked for.
pub const LIST_MAX: usize = 10_000;

fn invalid(fr: String, en: String) -> Error {
    Error::InvalidRequest(Text::new(fr, en))
}

impl Core {
    /// The facts of an incident report; `actor` is `None` for the operator's command line.
    /// Recorded in the audit trail (refused to anyone but a platform administrator).
    pub async fn incident_facts(
        &self,
        actor: Option<&Actor>,
        req: &IncidentRequest,
    ) -> Result<IncidentFacts> {
        let mut event = Event::new(AuditAction::IncidentReport, actor);
        if let Some(a) = actor {
            if !a.platform_admin {
                self.audit.record(event, Outcome::Denied).await?;
                return Err(Error::Forbidden);
            }
        }
        if req.to <= req.from {
            return Err(invalid(
                "La fin de la période doit suivre son début.".into(),
                "The end of the period must come after its start.".into(),
            ));
        }
        // Bounded, so the queries' bound values stay far below the engines' limits.
        let longest = [&req.accounts, &req.addresses, &req.missions]
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(0);
        if longest > LIST_MAX {
            return Err(invalid(
                format!("Au plus {LIST_MAX} comptes, adresses ou missions par liste."),
                format!("At most {LIST_MAX} accounts, addresses or missions per list."),
            ));
        }
        let people = users::list(&self.db).await?;
        let org_list = orgs::list(&self.db).await?;
        let mission_list = missions::list_all(&self.db).await?;
        let mut scope = IncidentScope {
            from_ms: req.from.timestamp_millis(),
            before_ms: req.to.timestamp_millis(),
            ..Default::default()
        };
        let mut facts = IncidentFacts {
            from: crate::clock::rfc3339(req.from),
            to: crate::clock::rfc3339(req.to),
            ..Default::default()
        };
        for asked in &req.accounts {
            let wanted = asked.trim().to_lowercase();
            let u = people
                .iter()
                .find(|u| u.id == asked.trim() || u.username == wanted)
                .ok_or_else(|| {
                    invalid(
                        format!("Aucun compte « {asked} »."),
                        format!("No account \"{asked}\"."),
                    )
                })?;
            scope.actors.push(u.id.clone());
            facts.accounts_asked.push(Named {
                id: u.username.clone(),
                name: u.display_name.clone(),
            });
        }
        for asked in &req.addresses {
            let ip: std::net::IpAddr = asked.trim().parse().map_err(|_| {
                invalid(
                    format!("« {asked} » n'est pas une adresse IP."),
                    format!("\"{asked}\" is not an IP address."),
                )
            })?;
            scope.ips.push(ip.to_string());
            facts.addresses_asked.push(ip.to_string());
        }
        for asked in &req.missions {
            let m = mission_list
                .iter()
                .find(|m| m.id == asked.trim() || m.name == asked.trim())
                .ok_or_else(|| {
                    invalid(
                        format!("Aucune mission « {asked} »."),
                        format!("No mission \"{asked}\"."),
                    )
                })?;
            scope.missions.push(m.id.clone());
            facts.missions_asked.push(Named {
                id: m.id.clone(),
                name: m.name.clone(),
            });
        }
        let selected = store::events(&self.db, &scope).await?;
        let user_by_id: HashMap<&str, &crate::domain::User> =
            people.iter().map(|u| (u.id.as_str(), u)).collect();
        let org_name: HashMap<&str, &str> = org_list
            .iter()
            .map(|o| (o.id.as_str(), o.name.as_str()))
            .collect();
        let named_org = |id: &str| Named {
            id: id.to_owned(),
            name: org_name.get(id).copied().unwrap_or(id).to_owned(),
        };
        let login = |id: Option<&str>| match id {
            None => GATEWAY_LOGIN.to_owned(),
            Some(id) => user_by_id
                .get(id)
                .map_or_else(|| id.to_owned(), |u| u.username.clone()),
        };
        // Logins once per account, then every map keyed by borrowed ids and every count made
        // on numbers (Interned): no allocation and no string comparison per event.
        let logins_by_id: HashMap<Option<&str>, String> = selected
            .iter()
            .map(|e| e.actor.as_deref())
            .collect::<std::collections::HashSet<_>>()
            .into_iter()
            .map(|id| (id, login(id)))
            .collect();
        let mut login_words = Interned::default();
        let login_ids: HashMap<Option<&str>, u32> = logins_by_id
            .iter()
            .map(|(id, login)| (*id, login_words.id(login)))
            .collect();
        let mut action_words = Interned::default();
        let mut ip_words = Interned::default();
        let mut by_mission: HashMap<&str, Tally> = HashMap::new();
        let mut by_file: HashMap<&str, (Tally, Option<&str>)> = HashMap::new();
        let mut by_actor: HashMap<Option<&str>, Tally> = HashMap::new();
        let mut by_ip: HashMap<&str, Tally> = HashMap::new();
        let mut file_details: HashMap<&str, serde_json::Value> = HashMap::new();
        let gateway_login = login_words.id(GATEWAY_LOGIN);
        for e in &selected {
            let who = login_ids
                .get(&e.actor.as_deref())
                .copied()
                .unwrap_or(gateway_login);
            let action = action_words.id(&e.action);
            let ip = e.ip.as_deref().map(|ip| ip_words.id(ip));
            let outcome = e.outcome.as_str();
            if let Some(m) = &e.mission_id {
                by_mission
                    .entry(m)
                    .or_default()
                    .add(action, outcome, who, ip);
            }
            if let Some(f) = &e.file_id {
                let entry = by_file.entry(f).or_default();
                entry.0.add(action, outcome, who, ip);
                if entry.1.is_none() {
                    entry.1 = e.mission_id.as_deref();
                }
                if !file_details.contains_key(f.as_str()) {
                    if let Some(d) = e
                        .detail
                        .as_deref()
                        .and_then(|d| serde_json::from_str(d).ok())
                    {
                        file_details.insert(f, d);
                    }
                }
            }
            by_actor
                .entry(e.actor.as_deref())
                .or_default()
                .add(action, outcome, who, ip);
            if let Some(ip_text) = &e.ip {
                by_ip
                    .entry(ip_text)
                    .or_default()
                    .add(action, outcome, who, ip);
            }
        }
        let words = |t: Tally| t.touches(&action_words, &login_words, &ip_words);
        let by_mission: HashMap<&str, Touches> =
            by_mission.into_iter().map(|(k, t)| (k, words(t))).collect();
        let by_file: HashMap<&str, (Touches, Option<&str>)> = by_file
            .into_iter()
            .map(|(k, (t, m))| (k, (words(t), m)))
            .collect();
        let by_actor: HashMap<Option<&str>, Touches> =
            by_actor.into_iter().map(|(k, t)| (k, words(t))).collect();
        let by_ip: HashMap<&str, Touches> = by_ip.into_iter().map(|(k, t)| (k, words(t))).collect();
        facts.events = selected.len() as u64;

        let mission_by_id: HashMap<&str, &crate::domain::Mission> =
            mission_list.iter().map(|m| (m.id.as_str(), m)).collect();
        let file_ids: Vec<String> = by_file.keys().map(|k| (*k).to_owned()).collect();
        let stored: HashMap<String, TouchedFile> = store::files(&self.db, &file_ids)
            .await?
            .into_iter()
            .map(|f| (f.id.clone(), f))
            .collect();
        let mut orgs_touched: BTreeMap<String, OrganisationTouched> = BTreeMap::new();
        let org_entry = |map: &mut BTreeMap<String, OrganisationTouched>, id: &str| {
            map.entry(id.to_owned())
                .or_insert_with(|| OrganisationTouched {
                    organisation: named_org(id),
                    ..Default::default()
                })
                .clone()
        };
        let mut controllers: BTreeMap<String, ControllerSummary> = BTreeMap::new();
        let mut files_per_mission: HashMap<String, u64> = HashMap::new();
        for (id, (touches, event_mission)) in by_file {
            let detail = file_details.get(id);
            let text = |k: &str| {
                detail
                    .and_then(|d| d.get(k))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let row = stored.get(id);
            let mission_id = row
                .map(|r| r.mission_id.clone())
                .or(event_mission.map(str::to_owned))
                .unwrap_or_default();
            let mission = mission_by_id.get(mission_id.as_str());
            let controller_id = mission.map_or("", |m| m.controller_organisation_id.as_str());
            let findings: Vec<Finding> =
                crate::domain::report::read(row.and_then(|r| r.check_report.as_deref()));
            let counted = findings
                .iter()
                .filter(|f| f.kind != FindingKind::Unreadable)
                .map(|f| f.count)
                .max();
            let folder = row.map_or_else(|| text("folder"), |r| r.folder.clone());
            let file = FileTouched {
                name: row.map_or_else(|| text("name"), |r| r.name.clone()),
                folder: folder.clone(),
                mission: Named {
                    id: mission_id.clone(),
                    name: mission.map_or_else(|| mission_id.clone(), |m| m.name.clone()),
                },
                controller: named_org(controller_id),
                folder_organisation: named_org(row.map_or("", |r| r.organisation_id.as_str())),
                size: row.map_or(0, |r| u64::try_from(r.size).unwrap_or(0)),
                sha256: row.map_or_else(|| text("sha256"), |r| r.sha256.clone()),
                destroyed_at: row
                    .and_then(|r| r.destroyed_at)
                    .map(|t| crate::clock::rfc3339(crate::clock::from_millis(t))),
                persons_counted: counted,
                identifier_kinds: findings
                    .iter()
                    .filter(|f| f.kind != FindingKind::Unreadable)
                    .map(|f| f.kind.as_str().to_owned())
                    .collect(),
                id: id.to_owned(),
                touches,
            };
            *files_per_mission.entry(mission_id.clone()).or_default() += 1;
            if !controller_id.is_empty() {
                let c = controllers
                    .entry(controller_id.to_owned())
                    .or_insert_with(|| ControllerSummary {
                        organisation: named_org(controller_id),
                        ..Default::default()
                    });
                c.files += 1;
                c.bytes += file.size;
                if Folder::parse(&folder) == Some(Folder::Deposits) {
                    c.deposits += 1;
                    c.persons_counted += counted.unwrap_or(0);
                    c.identifier_kinds
                        .extend(file.identifier_kinds.iter().cloned());
                }
            }
            if !file.folder_organisation.id.is_empty() {
                let mut o = org_entry(&mut orgs_touched, &file.folder_organisation.id);
                o.folder_owner = true;
                orgs_touched.insert(o.organisation.id.clone(), o);
            }
            facts.files.push(file);
        }
        for (id, touches) in by_mission {
            let mission = mission_by_id.get(id);
            let controller_id = mission.map_or("", |m| m.controller_organisation_id.as_str());
            if !controller_id.is_empty() {
                let c = controllers
                    .entry(controller_id.to_owned())
                    .or_insert_with(|| ControllerSummary {
                        organisation: named_org(controller_id),
                        ..Default::default()
                    });
                c.missions += 1;
                let mut o = org_entry(&mut orgs_touched, controller_id);
                o.controller = true;
                orgs_touched.insert(o.organisation.id.clone(), o);
            }
            facts.missions.push(MissionTouched {
                mission: Named {
                    id: id.to_owned(),
                    name: mission.map_or_else(|| id.to_owned(), |m| m.name.clone()),
                },
                controller: named_org(controller_id),
                files: files_per_mission.get(id).copied().unwrap_or(0),
                touches,
            });
        }
        for (user_id, touches) in by_actor {
            let key = logins_by_id
                .get(&user_id)
                .cloned()
                .unwrap_or_else(|| GATEWAY_LOGIN.to_owned());
            let user = user_id.and_then(|id| user_by_id.get(id));
            if let Some(u) = user {
                let mut o = org_entry(&mut orgs_touched, &u.organisation_id);
                o.acted = true;
                o.events_by_members += touches.outcomes.total();
                orgs_touched.insert(o.organisation.id.clone(), o);
            }
            facts.accounts.push(ActorTouched {
                key,
                name: user.map_or_else(String::new, |u| u.display_name.clone()),
                organisation: user.map_or_else(String::new, |u| named_org(&u.organisation_id).name),
                touches,
            });
        }
        // The addresses in question: those asked about, else every address the events came from.
        let concerned: Vec<String> = if scope.ips.is_empty() {
            by_ip.keys().map(|k| (*k).to_owned()).collect()
        } else {
            scope.ips.clone()
        };
        facts.addresses = by_ip
            .into_iter()
            .map(|(key, touches)| ActorTouched {
                key: key.to_owned(),
                name: String::new(),
                organisation: String::new(),
                touches,
            })
            .collect();
        let logins =
            store::logins_from(&self.db, scope.from_ms, scope.before_ms, &concerned).await?;
        // (login, address) → (count, first, last, user id)
        type Seen = (u64, i64, i64, Option<String>);
        let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
        for e in &logins {
            let key = (login(e.actor.as_deref()), e.ip.clone().unwrap_or_default());
            let s = seen.entry(key).or_insert((0, e.at, e.at, e.actor.clone()));
            s.0 += 1;
            s.1 = s.1.min(e.at);
            s.2 = s.2.max(e.at);
        }
        let at = |ms: i64| crate::clock::rfc3339(crate::clock::from_millis(ms));
        facts.logins = seen
            .into_iter()
            .map(|((account, address), (count, first, last, id))| {
                let user = id.as_deref().and_then(|id| user_by_id.get(id));
                LoginSeen {
                    account,
                    name: user.map_or_else(String::new, |u| u.display_name.clone()),
                    organisation: user
                        .map_or_else(String::new, |u| named_org(&u.organisation_id).name),
                    address,
                    count,
                    first_at: at(first),
                    last_at: at(last),
                }
            })
            .collect();
        facts.accounts.sort_by(|a, b| a.key.cmp(&b.key));
        facts.addresses.sort_by(|a, b| a.key.cmp(&b.key));
        facts.organisations = orgs_touched.into_values().collect();
        facts
            .organisations
            .sort_by(|a, b| a.organisation.name.cmp(&b.organisation.name));
        facts.controllers = controllers.into_values().collect();
        facts
            .controllers
            .sort_by(|a, b| a.organisation.name.cmp(&b.organisation.name));
        facts
            .missions
            .sort_by(|a, b| a.mission.name.cmp(&b.mission.name));
        facts.files.sort_by(|a, b| {
            (&a.mission.name, &a.folder, &a.name, &a.id).cmp(&(
                &b.mission.name,
                &b.folder,
                &b.name,
                &b.id,
            ))
        });
        facts.selected = selected;

        event = event.detail(serde_json::json!({
            "from": facts.from,
            "to": facts.to,
            "accounts": facts.accounts_asked.iter().map(|a| &a.id).collect::<Vec<_>>(),
            "addresses": facts.addresses_asked,
            "missions": scope.missions,
            "events": facts.events,
            "files": facts.files.len(),
        }));
        self.audit.record(event, Outcome::Success).await?;
        Ok(facts)
    }
}

/// An instant typed by an operator, in Paris time unless it says otherwise: RFC 3339
/// (`2027-01-15T09:00:00+01:00`), `AAAA-MM-JJ[ HH:MM]`, `AAAA-MM-JJTHH:MM` or `JJ/MM/AAAA[ HH:MM]`
/// (a date alone is midnight). A local time that happens twice (the October change of hour) is
/// read as its first occurrence: the start of a window, which then covers both.
pub fn parse_instant(typed: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    parse_edge(typed, false)
}

/// [`parse_instant`] for the end of a window: a local time that happens twice is read as its
/// second occurrence, so the window covers both.
pub fn parse_instant_end(typed: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    parse_edge(typed, true)
}

fn parse_edge(typed: &str, end: bool) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone as _;
    let typed = typed.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(typed) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let local = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(typed, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%d/%m/%Y"]
                .iter()
                .find_map(|f| chrono::NaiveDate::parse_from_str(typed, f).ok())
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .filter(|t| (1000..=9999).contains(&chrono::Datelike::year(t)))?;
    let at = chrono_tz::Europe::Paris.from_local_datetime(&local);
    if end { at.latest() } else { at.earliest() }.map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::{parse_instant, parse_instant_end};

    #[test]
    fn a_repeated_hour_widens_the_window() {
        // 31 October 2027, 02:30 in Paris happens at 00:30 UTC (summer time) and 01:30 UTC.
        let start = parse_instant("2027-10-31 02:30").unwrap();
        let end = parse_instant_end("2027-10-31 02:30").unwrap();
        assert_eq!(end - start, chrono::Duration::hours(1));
        assert_eq!(
            parse_instant_end("2027-01-15 09:00"),
            parse_instant("2027-01-15 09:00")
        );
    }

    #[test]
    fn instants_are_read_in_paris_time() {
        let ms = |s: &str| parse_instant(s).map(|t| t.timestamp_millis());
        // 15 January 2027, 09:00 in Paris = 08:00 UTC.
        assert_eq!(ms("15/01/2027 09:00"), Some(1_800_000_000_000));
        assert_eq!(ms("2027-01-15 09:00"), Some(1_800_000_000_000));
        assert_eq!(ms("2027-01-15T08:00:00Z"), Some(1_800_000_000_000));
        assert_eq!(ms("15/01/2027"), Some(1_799_967_600_000));
        assert_eq!(ms("31/02/2027"), None);
        assert_eq!(ms("1/1/27"), None);
    }
}
