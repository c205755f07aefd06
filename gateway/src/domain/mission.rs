//! Missions: their life cycle, and the mission and participant records the services hand out.

use super::Role;

super::stored_words! {
    /// Where a mission is in its life.
    MissionStatus, "mission status" {
        /// Open: files come and go.
        Active => "active",
        /// Paused by a manager: nothing is uploaded or read until it resumes.
        Suspended => "suspended",
        /// Past its end date or closed: files stay readable until destruction.
        Ended => "ended",
        /// Destroyed: keys shredded, only the certificate and the trail remain.
        Destroyed => "destroyed",
    }
}

impl MissionStatus {
    /// Whether the mission's files may be worked on (uploaded, listed, read): an active or
    /// ended mission. A suspended one refuses with its own message; a destroyed one has none.
    pub fn files_open(self) -> bool {
        matches!(self, MissionStatus::Active | MissionStatus::Ended)
    }

    /// Whether the mission still runs (not ended, not destroyed): it may be suspended, resumed,
    /// closed or extended.
    pub fn still_running(self) -> bool {
        matches!(self, MissionStatus::Active | MissionStatus::Suspended)
    }
}

/// A mission, as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mission {
    /// Opaque id (also the key id in the key store).
    pub id: String,
    /// Name.
    pub name: String,
    /// The purpose ("finalité") of the convention.
    pub purpose: String,
    /// The organisation that owns the data.
    pub controller_organisation_id: String,
    /// End of the mission (ms).
    pub ends_at: i64,
    /// Until when released results are kept (ms).
    pub results_retained_until: Option<i64>,
    /// Where it is in its life.
    pub status: MissionStatus,
    /// Access window as JSON, if any.
    pub access_window: Option<String>,
}

impl Mission {
    /// Whether its end date has passed at `now_ms`.
    pub fn end_passed(&self, now_ms: i64) -> bool {
        self.ends_at <= now_ms
    }

    /// Whether, at `now_ms`, nothing of it may be kept any longer: its released results' retention
    /// date (if it has one) has passed.
    pub fn retention_over(&self, now_ms: i64) -> bool {
        self.results_retained_until.is_none_or(|t| t <= now_ms)
    }
}

/// A participant's role, with the user's name and organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The user.
    pub user_id: String,
    /// Name shown to others.
    pub display_name: String,
    /// The user's organisation.
    pub organisation_id: String,
    /// One role.
    pub role: Role,
    /// When it was granted (ms).
    pub added_at: i64,
    /// Who granted it (none for grants older than this record).
    pub granted_by: Option<String>,
    /// That person's name.
    pub granted_by_name: Option<String>,
}
