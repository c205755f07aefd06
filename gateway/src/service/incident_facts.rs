//! What an incident report states, as the signed JSON carries it (field names are the JSON's:
//! do not rename them): per mission, file, organisation, account and address what was done, with
//! which outcome, by whom and from where; the sign-ins from the addresses concerned; a summary
//! per controller organisation. Gathered by [`super::incident`].

use crate::db::incident::IncidentEvent;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Counts of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcomes {
    /// Done.
    pub success: u64,
    /// Refused by a rule.
    pub denied: u64,
    /// Failed.
    pub failed: u64,
}

impl Outcomes {
    pub(crate) fn add(&mut self, outcome: &str) {
        match outcome {
            "success" => self.success += 1,
            "denied" => self.denied += 1,
            _ => self.failed += 1,
        }
    }

    /// Every event counted.
    pub fn total(&self) -> u64 {
        self.success + self.denied + self.failed
    }
}

/// What happened to one thing: per action code, the outcomes; who and from where.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Touches {
    /// Per action code, its outcomes.
    pub operations: BTreeMap<String, Outcomes>,
    /// Every event.
    pub outcomes: Outcomes,
    /// Logins of the accounts that acted (`passerelle` for the gateway itself).
    pub accounts: BTreeSet<String>,
    /// Source addresses.
    pub addresses: BTreeSet<String>,
}

/// The words of a report's events, each given a number once (actions, logins, addresses), so
/// that counting a million events into [`Tally`]s compares numbers, not strings.
#[derive(Debug, Default)]
pub(crate) struct Interned<'a> {
    words: Vec<&'a str>,
    ids: HashMap<&'a str, u32>,
}

impl<'a> Interned<'a> {
    /// The number of `word` (given on first sight).
    pub(crate) fn id(&mut self, word: &'a str) -> u32 {
        if let Some(id) = self.ids.get(word) {
            return *id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
        self.words.push(word);
        self.ids.insert(word, id);
        id
    }

    fn word(&self, id: u32) -> &'a str {
        self.words.get(id as usize).copied().unwrap_or_default()
    }
}

/// [`Touches`] while counting: numbers from [`Interned`], turned into words once at the end.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    operations: Vec<(u32, Outcomes)>,
    outcomes: Outcomes,
    accounts: HashSet<u32>,
    addresses: HashSet<u32>,
}

impl Tally {
    /// Counts one event: its action, its outcome, its account and its address (by number).
    pub(crate) fn add(&mut self, action: u32, outcome: &str, login: u32, ip: Option<u32>) {
        match self.operations.iter_mut().find(|(a, _)| *a == action) {
            Some((_, o)) => o.add(outcome),
            None => {
                let mut o = Outcomes::default();
                o.add(outcome);
                self.operations.push((action, o));
            }
        }
        self.outcomes.add(outcome);
        self.accounts.insert(login);
        if let Some(ip) = ip {
            self.addresses.insert(ip);
        }
    }

    /// The counts in words.
    pub(crate) fn touches(
        self,
        actions: &Interned<'_>,
        logins: &Interned<'_>,
        ips: &Interned<'_>,
    ) -> Touches {
        Touches {
            operations: self
                .operations
                .into_iter()
                .map(|(a, o)| (actions.word(a).to_owned(), o))
                .collect(),
            outcomes: self.outcomes,
            accounts: self
                .accounts
                .into_iter()
                .map(|l| logins.word(l).to_owned())
                .collect(),
            addresses: self
                .addresses
                .into_iter()
                .map(|i| ips.word(i).to_owned())
                .collect(),
        }
    }
}

/// An id and the name people know it by.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Named {
    /// Opaque id (or login, for an account).
    pub id: String,
    /// Name.
    pub name: String,
}

/// A mission the events touched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissionTouched {
    /// The mission.
    pub mission: Named,
    /// Its controller organisation.
    pub controller: Named,
    /// How many of its files the events touched.
    pub files: u64,
    /// What was done.
    pub touches: Touches,
}

/// A file the events touched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileTouched {
    /// Opaque id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `deposits` or `results`.
    pub folder: String,
    /// Its mission.
    pub mission: Named,
    /// The mission's controller organisation.
    pub controller: Named,
    /// The organisation whose folder holds it (the depositor's, for a deposit).
    pub folder_organisation: Named,
    /// Size in bytes (0 when unknown).
    pub size: u64,
    /// SHA-256 of the content (hex; empty when unknown).
    pub sha256: String,
    /// When it was destroyed (RFC 3339), if it was.
    pub destroyed_at: Option<String>,
    /// For a deposit, the most cells of one kind of direct identifier the scan counted (≈ persons).
    pub persons_counted: Option<u64>,
    /// The kinds of direct identifiers the scan found (stored words), never a value.
    pub identifier_kinds: BTreeSet<String>,
    /// What was done.
    pub touches: Touches,
}

/// An organisation concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OrganisationTouched {
    /// The organisation.
    pub organisation: Named,
    /// Controller of a touched mission.
    pub controller: bool,
    /// Holds a touched file in its folder.
    pub folder_owner: bool,
    /// One of its accounts acted.
    pub acted: bool,
    /// Events by its accounts.
    pub events_by_members: u64,
}

/// An account (or address) that acted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActorTouched {
    /// Login (`passerelle` for the gateway), or the address.
    pub key: String,
    /// Name shown to others (empty for an address).
    pub name: String,
    /// Its organisation (empty for an address).
    pub organisation: String,
    /// What it did.
    pub touches: Touches,
}

/// Sign-ins of one account from one of the addresses concerned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoginSeen {
    /// Login.
    pub account: String,
    /// Name.
    pub name: String,
    /// Organisation name.
    pub organisation: String,
    /// The address.
    pub address: String,
    /// How many sign-ins.
    pub count: u64,
    /// First (RFC 3339).
    pub first_at: String,
    /// Last (RFC 3339).
    pub last_at: String,
}

/// What one controller organisation must be told.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ControllerSummary {
    /// The organisation.
    pub organisation: Named,
    /// Its missions touched.
    pub missions: u64,
    /// Its files touched.
    pub files: u64,
    /// Their total size (bytes).
    pub bytes: u64,
    /// Deposits among them.
    pub deposits: u64,
    /// Sum of the deposits' identifier counts (≈ persons; deposits without a finding add 0).
    pub persons_counted: u64,
    /// Kinds of direct identifiers in its touched deposits.
    pub identifier_kinds: BTreeSet<String>,
}

/// Everything a report states.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IncidentFacts {
    /// The window (RFC 3339): `[from, to)`.
    pub from: String,
    /// End of the window (excluded).
    pub to: String,
    /// The accounts asked about (login, name).
    pub accounts_asked: Vec<Named>,
    /// The addresses asked about.
    pub addresses_asked: Vec<String>,
    /// The missions asked about.
    pub missions_asked: Vec<Named>,
    /// How many events the scope selects.
    pub events: u64,
    /// Missions touched, by name.
    pub missions: Vec<MissionTouched>,
    /// Files touched, by mission then name.
    pub files: Vec<FileTouched>,
    /// Organisations concerned, by name.
    pub organisations: Vec<OrganisationTouched>,
    /// Accounts that acted, by login.
    pub accounts: Vec<ActorTouched>,
    /// Addresses seen, in order.
    pub addresses: Vec<ActorTouched>,
    /// Sign-ins in the window from the addresses concerned (those asked, else those seen).
    pub logins: Vec<LoginSeen>,
    /// Per controller organisation, by name.
    pub controllers: Vec<ControllerSummary>,
    /// The selected events themselves, oldest first (for the CSV; not in the JSON).
    #[serde(skip)]
    pub selected: Vec<IncidentEvent>,
}
