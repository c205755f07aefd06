//! The permission table: the one place that decides who may see and do what in a mission.
//!
//! Handlers and services ask [`Viewer`]; nothing else encodes the role table of the contract:
//!
//! | role | deposits folder | results folder |
//! |---|---|---|
//! | depositor | upload; list, download, delete its own organisation's deposits | list, download released results |
//! | processor | list, download every deposit | upload, list, download, release, delete |
//! | recipient | nothing (invisible) | list, download released results |
//! | manager | nothing | nothing |
//!
//! Platform admins see every mission and the metadata of every file, and read content only
//! through a participant role. A deposit held in quarantine, and any file still awaiting its
//! antivirus scan, is visible to its uploader's organisation only; a file awaiting its scan is
//! read, released or confirmed by nobody until the scan succeeds. What a caller cannot see is
//! `Hidden` (404); what it sees but may not do is `Forbidden` (403); what it may do, but not
//! before the antivirus scan succeeds, is `PendingScan` (409).
//!
//! Role grants ([`grant`]) follow the conventions: nobody grants or changes a role for
//! themselves, platform admins included; members of an organisation whose kind is listed in
//! `roles.raw_data_excluded_kinds` (the EPCI, which must only ever see aggregates) never hold
//! a role that reads raw deposits (`depositor`, `processor`). The destruction certificate
//! ([`Viewer::reads_certificate`]) is for platform admins, the mission's managers and its
//! participants from the controller organisation. A file's download receipt (who downloaded
//! it and when, [`FileAction::ReadReceipts`]) is for its uploader's organisation's participants,
//! the mission's managers and platform admins (both read the mission's audit trail anyway); a
//! held file's receipt stays with its organisation; everyone else is answered 404.

use crate::domain::{CheckStatus, File, Mission, MissionStatus};
pub use crate::domain::{Folder, Role};

/// What is known of a role grant.
#[derive(Debug, Clone, Copy)]
pub struct GrantFacts<'a> {
    /// Who grants.
    pub granter_id: &'a str,
    /// Who receives (or loses) the role.
    pub grantee_id: &'a str,
    /// The kind of the grantee's organisation (`bailleur`, `epci`, …).
    pub grantee_kind: &'a str,
    /// The role; `None` for the removal of every role.
    pub role: Option<Role>,
    /// `roles.raw_data_excluded_kinds`.
    pub excluded_kinds: &'a [String],
}

/// Why a grant is refused (403 `forbidden`, the message naming the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRefusal {
    /// Nobody grants or changes a role for themselves.
    OwnRole,
    /// The grantee's organisation kind never holds depositor or processor.
    RawDataExcluded,
}

/// Decides a role grant or removal, once the granter may manage the mission.
pub fn grant(f: &GrantFacts<'_>) -> Result<(), GrantRefusal> {
    if f.granter_id == f.grantee_id {
        return Err(GrantRefusal::OwnRole);
    }
    let excluded = f
        .excluded_kinds
        .iter()
        .any(|k| k.eq_ignore_ascii_case(f.grantee_kind));
    if excluded && f.role.is_some_and(Role::touches_raw_data) {
        return Err(GrantRefusal::RawDataExcluded);
    }
    Ok(())
}

/// What is known of a file for deciding access.
#[derive(Debug, Clone, Copy)]
pub struct FileFacts<'a> {
    /// Its folder.
    pub folder: Folder,
    /// The uploader's organisation.
    pub organisation_id: &'a str,
    /// Released to recipients.
    pub released: bool,
    /// A deposit held by the identifier scan: only its organisation sees it.
    pub quarantined: bool,
    /// A result whose disclosure check failed (the controller's manager may override).
    pub disclosure_failed: bool,
    /// Not yet scanned by the antivirus (`pending_scan`): only its organisation sees it, and
    /// nobody may read, release or confirm it until a scan succeeds.
    pub pending_scan: bool,
}

impl<'a> From<&'a File> for FileFacts<'a> {
    fn from(f: &'a File) -> Self {
        FileFacts {
            folder: f.folder,
            organisation_id: &f.organisation_id,
            released: f.released,
            quarantined: f.check_is(CheckStatus::Quarantined),
            disclosure_failed: f.check_is(CheckStatus::Failed),
            pending_scan: f.check_is(CheckStatus::PendingScan),
        }
    }
}

/// What the caller may do with one file now, given the file's state and its mission's: the
/// answer the pages and the API show, so that none of them re-derives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileAbilities {
    /// See it and its metadata.
    pub inspect: bool,
    /// Read its content.
    pub download: bool,
    /// Release it to recipients: an unreleased result whose check has not failed, in an
    /// active mission.
    pub release: bool,
    /// Release it despite its failed disclosure check (the controller's manager), in an active
    /// mission.
    pub override_release: bool,
    /// Let it through after its quarantine (its organisation's depositors), in an active mission.
    pub confirm: bool,
    /// Delete it, in an active mission.
    pub delete: bool,
    /// Read its download receipt (who downloaded it, when).
    pub receipts: bool,
}

/// What the caller may do with a mission now, given its status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MissionAbilities {
    /// See it and its participants.
    pub view: bool,
    /// Its files may be listed and read at all (active or ended; a suspended one refuses).
    pub work_on_files: bool,
    /// Upload a deposit now.
    pub upload_deposit: bool,
    /// Upload a result now.
    pub upload_result: bool,
    /// Manage it now (participants, dates, suspension, closing): a mission still running.
    pub manage: bool,
    /// Read its audit events and register.
    pub audit: bool,
}

/// Something done to a mission as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissionAction {
    /// See the mission and its participants.
    View,
    /// Change dates, participants, suspension; close.
    Manage,
    /// Read the mission's audit events and register.
    Audit,
    /// List the files the caller may see.
    ListFiles,
    /// Upload into the caller's organisation's deposits folder.
    UploadDeposit,
    /// Upload into the results folder.
    UploadResult,
}

/// Something done to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    /// Read its metadata.
    Inspect,
    /// Read its content.
    Download,
    /// Delete it.
    Delete,
    /// Release it to recipients.
    Release,
    /// Release a result despite a failed disclosure check (controller organisation's manager).
    OverrideRelease,
    /// Let a quarantined deposit through after reading its report (its organisation's depositors).
    Confirm,
    /// Read who downloaded it and when (its uploader's organisation, managers, admins).
    ReadReceipts,
}

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Visible, but not allowed: 403.
    Forbidden,
    /// Not visible: 404.
    Hidden,
    /// Visible, but the file awaits its antivirus scan: nothing leaves it until then (409).
    PendingScan,
}

/// The caller as the table sees it: its roles in one mission, its organisation, admin or not.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// Roles held in the mission.
    pub roles: Vec<Role>,
    /// Platform administrator.
    pub platform_admin: bool,
    /// The caller's organisation.
    pub organisation_id: String,
    /// The caller belongs to the mission's controller organisation.
    pub controller: bool,
}

impl Viewer {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller sees the file's content as a participant (admins excluded).
    fn reads_as_participant(&self, f: &FileFacts<'_>) -> bool {
        match f.folder {
            Folder::Deposits => {
                (self.has(Role::Processor) && !f.quarantined)
                    || (self.has(Role::Depositor) && f.organisation_id == self.organisation_id)
            }
            Folder::Results => {
                self.has(Role::Processor)
                    || (f.released && (self.has(Role::Depositor) || self.has(Role::Recipient)))
            }
        }
    }

    /// The controller organisation's manager, who may override a failed disclosure check.
    fn overrides(&self, f: &FileFacts<'_>) -> bool {
        f.folder == Folder::Results && self.controller && self.has(Role::Manager)
    }

    /// Whether the caller reads the file's download receipt: participants of the uploader's
    /// organisation, the mission's managers and platform admins; a held file's (quarantined or
    /// awaiting its scan) only its organisation's, as it is hidden from everyone else.
    fn reads_receipts(&self, f: &FileFacts<'_>) -> bool {
        let own = !self.roles.is_empty() && f.organisation_id == self.organisation_id;
        let held = f.quarantined || f.pending_scan;
        own || (!held && (self.platform_admin || self.has(Role::Manager)))
    }

    /// Whether the mission exists for the caller at all.
    pub fn sees_mission(&self) -> bool {
        self.platform_admin || !self.roles.is_empty()
    }

    /// Whether the file appears in the caller's listings.
    pub fn sees_file(&self, f: &FileFacts<'_>) -> bool {
        // A quarantined deposit, or a file awaiting its antivirus scan, is visible to its
        // organisation only, administrators included.
        let held = f.quarantined || f.pending_scan;
        if f.pending_scan && f.organisation_id != self.organisation_id {
            return false;
        }
        let admin_sees =
            self.platform_admin && !(held && f.organisation_id != self.organisation_id);
        admin_sees || self.reads_as_participant(f) || (f.disclosure_failed && self.overrides(f))
    }

    /// Decides an action on the mission.
    pub fn mission(&self, action: MissionAction) -> Decision {
        if !self.sees_mission() {
            return Decision::Hidden;
        }
        let allowed = match action {
            MissionAction::View | MissionAction::ListFiles => true,
            MissionAction::Manage | MissionAction::Audit => {
                self.platform_admin || self.has(Role::Manager)
            }
            MissionAction::UploadDeposit => self.has(Role::Depositor),
            MissionAction::UploadResult => self.has(Role::Processor),
        };
        if allowed {
            Decision::Allow
        } else {
            Decision::Forbidden
        }
    }

    /// Whether the caller may read the mission's destruction certificate: platform admins, the
    /// mission's managers and its participants from the controller organisation. `held` are
    /// the roles as granted (a destroyed mission's viewer holds none any more).
    pub fn reads_certificate(&self, held: &[Role]) -> bool {
        self.platform_admin
            || held.contains(&Role::Manager)
            || (self.controller && !held.is_empty())
    }

    /// What the caller may do with the mission now.
    pub fn mission_abilities(&self, mission: &Mission) -> MissionAbilities {
        let may = |action| self.mission(action) == Decision::Allow;
        let active = mission.status == MissionStatus::Active;
        MissionAbilities {
            view: may(MissionAction::View),
            work_on_files: mission.status.files_open() && may(MissionAction::ListFiles),
            upload_deposit: active && may(MissionAction::UploadDeposit),
            upload_result: active && may(MissionAction::UploadResult),
            manage: mission.status.still_running() && may(MissionAction::Manage),
            audit: may(MissionAction::Audit),
        }
    }

    /// What the caller may do with one file of the mission now.
    pub fn file_abilities(&self, mission: &Mission, file: &File) -> FileAbilities {
        let facts = FileFacts::from(file);
        let may = |action| self.file(&facts, action) == Decision::Allow;
        // Changes are made in an active mission only; an ended one is read until destruction.
        let active = mission.status == MissionStatus::Active;
        let failed = file.check_is(CheckStatus::Failed);
        FileAbilities {
            inspect: may(FileAction::Inspect),
            download: may(FileAction::Download),
            release: active
                && !file.released
                && !failed
                && file.folder == Folder::Results
                && may(FileAction::Release),
            override_release: active
                && !file.released
                && failed
                && may(FileAction::OverrideRelease),
            confirm: active && file.check_is(CheckStatus::Quarantined) && may(FileAction::Confirm),
            delete: active && may(FileAction::Delete),
            receipts: may(FileAction::ReadReceipts),
        }
    }

    /// Decides an action on a file of the mission.
    pub fn file(&self, f: &FileFacts<'_>, action: FileAction) -> Decision {
        if !self.sees_mission() {
            return Decision::Hidden;
        }
        if action == FileAction::ReadReceipts {
            // Managers read receipts of files they do not see; those who see the file but may
            // not read its receipt (a processor on a deposit, a recipient) are answered 404 too.
            return if self.reads_receipts(f) {
                Decision::Allow
            } else {
                Decision::Hidden
            };
        }
        if !self.sees_file(f) {
            return Decision::Hidden;
        }
        let allowed = match action {
            FileAction::Inspect => true,
            FileAction::Download => self.reads_as_participant(f),
            FileAction::Delete => match f.folder {
                Folder::Deposits => {
                    self.has(Role::Depositor) && f.organisation_id == self.organisation_id
                }
                Folder::Results => self.has(Role::Processor),
            },
            FileAction::Release => f.folder == Folder::Results && self.has(Role::Processor),
            FileAction::OverrideRelease => self.overrides(f),
            FileAction::Confirm => {
                f.folder == Folder::Deposits
                    && self.has(Role::Depositor)
                    && f.organisation_id == self.organisation_id
            }
            // Decided above.
            FileAction::ReadReceipts => false,
        };
        let leaves_it = matches!(
            action,
            FileAction::Download
                | FileAction::Release
                | FileAction::OverrideRelease
                | FileAction::Confirm
        );
        if allowed && f.pending_scan && leaves_it {
            // Never delivered unscanned, not even to the uploader's colleagues: not yet (409).
            return Decision::PendingScan;
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::Forbidden
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(roles: &[Role], admin: bool, org: &str) -> Viewer {
        Viewer {
            roles: roles.to_vec(),
            platform_admin: admin,
            organisation_id: org.to_owned(),
            controller: org == "A",
        }
    }

    const DEPOSIT_A: FileFacts<'static> = FileFacts {
        folder: Folder::Deposits,
        organisation_id: "A",
        released: false,
        quarantined: false,
        disclosure_failed: false,
        pending_scan: false,
    };
    const RESULT: FileFacts<'static> = FileFacts {
        folder: Folder::Results,
        organisation_id: "C",
        released: false,
        quarantined: false,
        disclosure_failed: false,
        pending_scan: false,
    };
    const RELEASED: FileFacts<'static> = FileFacts {
        folder: Folder::Results,
        organisation_id: "C",
        released: true,
        quarantined: false,
        disclosure_failed: false,
        pending_scan: false,
    };

    #[test]
    fn nobody_grants_itself_and_epci_never_touches_raw_data() {
        let excluded = vec!["epci".to_owned()];
        let facts = |granter: &'static str, kind: &'static str, role| GrantFacts {
            granter_id: granter,
            grantee_id: "u1",
            grantee_kind: kind,
            role,
            excluded_kinds: &excluded,
        };
        assert_eq!(
            grant(&facts("u1", "bailleur", Some(Role::Recipient))),
            Err(GrantRefusal::OwnRole)
        );
        assert_eq!(
            grant(&facts("u1", "bailleur", None)),
            Err(GrantRefusal::OwnRole)
        );
        for role in [Role::Depositor, Role::Processor] {
            assert_eq!(
                grant(&facts("m", "EPCI", Some(role))),
                Err(GrantRefusal::RawDataExcluded)
            );
            assert_eq!(grant(&facts("m", "consultancy", Some(role))), Ok(()));
        }
        assert_eq!(grant(&facts("m", "epci", Some(Role::Recipient))), Ok(()));
        assert_eq!(grant(&facts("m", "epci", Some(Role::Manager))), Ok(()));
    }

    #[test]
    fn the_certificate_is_for_admins_managers_and_controller_participants() {
        let admin = viewer(&[], true, "OPS");
        assert!(admin.reads_certificate(&[]));
        let controller_member = viewer(&[], false, "A");
        assert!(!controller_member.reads_certificate(&[]));
        assert!(controller_member.reads_certificate(&[Role::Depositor]));
        assert!(viewer(&[], false, "B").reads_certificate(&[Role::Manager]));
        assert!(!viewer(&[], false, "C").reads_certificate(&[Role::Processor]));
    }

    #[test]
    fn depositors_see_their_organisation_only() {
        let a = viewer(&[Role::Depositor], false, "A");
        let b = viewer(&[Role::Depositor], false, "B");
        assert_eq!(a.file(&DEPOSIT_A, FileAction::Download), Decision::Allow);
        assert_eq!(a.file(&DEPOSIT_A, FileAction::Delete), Decision::Allow);
        assert_eq!(b.file(&DEPOSIT_A, FileAction::Download), Decision::Hidden);
        assert_eq!(a.file(&RESULT, FileAction::Inspect), Decision::Hidden);
        assert_eq!(a.file(&RELEASED, FileAction::Download), Decision::Allow);
        assert_eq!(a.file(&RELEASED, FileAction::Release), Decision::Forbidden);
    }

    #[test]
    fn recipients_get_released_results_only() {
        let r = viewer(&[Role::Recipient], false, "E");
        assert_eq!(r.file(&DEPOSIT_A, FileAction::Inspect), Decision::Hidden);
        assert_eq!(r.file(&RESULT, FileAction::Inspect), Decision::Hidden);
        assert_eq!(r.file(&RELEASED, FileAction::Download), Decision::Allow);
        assert_eq!(r.file(&RELEASED, FileAction::Delete), Decision::Forbidden);
        assert_eq!(r.mission(MissionAction::UploadDeposit), Decision::Forbidden);
    }

    #[test]
    fn processors_work_on_everything_but_release_only_results() {
        let p = viewer(&[Role::Processor], false, "C");
        assert_eq!(p.file(&DEPOSIT_A, FileAction::Download), Decision::Allow);
        assert_eq!(p.file(&DEPOSIT_A, FileAction::Delete), Decision::Forbidden);
        assert_eq!(p.file(&DEPOSIT_A, FileAction::Release), Decision::Forbidden);
        assert_eq!(p.file(&RESULT, FileAction::Release), Decision::Allow);
        assert_eq!(p.file(&RESULT, FileAction::Delete), Decision::Allow);
    }

    #[test]
    fn admins_manage_and_list_but_read_nothing_and_managers_see_no_files() {
        let admin = viewer(&[], true, "OPS");
        assert_eq!(admin.mission(MissionAction::Manage), Decision::Allow);
        assert_eq!(admin.file(&DEPOSIT_A, FileAction::Inspect), Decision::Allow);
        assert_eq!(
            admin.file(&DEPOSIT_A, FileAction::Download),
            Decision::Forbidden
        );
        assert_eq!(
            admin.mission(MissionAction::UploadDeposit),
            Decision::Forbidden
        );
        let manager = viewer(&[Role::Manager], false, "A");
        assert_eq!(manager.mission(MissionAction::Manage), Decision::Allow);
        assert_eq!(
            manager.file(&DEPOSIT_A, FileAction::Inspect),
            Decision::Hidden
        );
        assert_eq!(
            manager.file(&RELEASED, FileAction::Inspect),
            Decision::Hidden
        );
        let outsider = viewer(&[], false, "A");
        assert_eq!(outsider.mission(MissionAction::View), Decision::Hidden);
        let both = viewer(&[Role::Manager, Role::Recipient], false, "E");
        assert_eq!(both.file(&RELEASED, FileAction::Download), Decision::Allow);
    }

    #[test]
    fn files_awaiting_their_scan_stay_with_their_organisation_and_leave_nothing() {
        let deposit = FileFacts {
            pending_scan: true,
            ..DEPOSIT_A
        };
        let result = FileFacts {
            pending_scan: true,
            ..RESULT
        };
        let colleague = viewer(&[Role::Depositor], false, "A");
        assert_eq!(
            colleague.file(&deposit, FileAction::Inspect),
            Decision::Allow
        );
        assert_eq!(
            colleague.file(&deposit, FileAction::Delete),
            Decision::Allow
        );
        assert_eq!(
            colleague.file(&deposit, FileAction::Download),
            Decision::PendingScan
        );
        assert_eq!(
            colleague.file(&deposit, FileAction::Confirm),
            Decision::PendingScan
        );
        for outsider in [
            viewer(&[Role::Processor], false, "C"),
            viewer(&[Role::Depositor], false, "B"),
            viewer(&[], true, "OPS"),
        ] {
            assert!(!outsider.sees_file(&deposit));
            assert_eq!(
                outsider.file(&deposit, FileAction::Download),
                Decision::Hidden
            );
        }
        let author = viewer(&[Role::Processor], false, "C");
        assert!(author.sees_file(&result));
        assert_eq!(
            author.file(&result, FileAction::Release),
            Decision::PendingScan
        );
        assert_eq!(author.file(&result, FileAction::Delete), Decision::Allow);
        let other_processor = viewer(&[Role::Processor], false, "D");
        assert_eq!(
            other_processor.file(&result, FileAction::Inspect),
            Decision::Hidden
        );
        let failed_then_held = FileFacts {
            disclosure_failed: true,
            ..result
        };
        assert_eq!(
            viewer(&[Role::Manager], false, "A")
                .file(&failed_then_held, FileAction::OverrideRelease),
            Decision::Hidden
        );
    }

    #[test]
    fn receipts_are_for_the_uploaders_organisation_managers_and_admins() {
        let read = |v: Viewer, f: &FileFacts<'_>| v.file(f, FileAction::ReadReceipts);
        assert_eq!(
            read(viewer(&[Role::Depositor], false, "A"), &DEPOSIT_A),
            Decision::Allow
        );
        assert_eq!(
            read(viewer(&[Role::Recipient], false, "A"), &DEPOSIT_A),
            Decision::Allow,
            "any participant of the uploader's organisation"
        );
        assert_eq!(
            read(viewer(&[Role::Manager], false, "B"), &DEPOSIT_A),
            Decision::Allow
        );
        assert_eq!(read(viewer(&[], true, "OPS"), &DEPOSIT_A), Decision::Allow);
        for (v, f) in [
            (viewer(&[Role::Depositor], false, "B"), &DEPOSIT_A),
            (viewer(&[Role::Processor], false, "C"), &DEPOSIT_A),
            (viewer(&[Role::Recipient], false, "E"), &RELEASED),
            (viewer(&[], false, "A"), &DEPOSIT_A),
        ] {
            assert_eq!(read(v, f), Decision::Hidden);
        }
        assert_eq!(
            read(viewer(&[Role::Processor], false, "C"), &RESULT),
            Decision::Allow
        );
        let held = FileFacts {
            quarantined: true,
            ..DEPOSIT_A
        };
        assert_eq!(
            read(viewer(&[Role::Manager], false, "B"), &held),
            Decision::Hidden
        );
        assert_eq!(read(viewer(&[], true, "OPS"), &held), Decision::Hidden);
        assert_eq!(
            read(viewer(&[Role::Depositor], false, "A"), &held),
            Decision::Allow
        );
    }

    #[test]
    fn quarantine_and_overrides() {
        let held = FileFacts {
            folder: Folder::Deposits,
            organisation_id: "A",
            released: false,
            quarantined: true,
            disclosure_failed: false,
            pending_scan: false,
        };
        assert_eq!(
            viewer(&[Role::Processor], false, "C").file(&held, FileAction::Inspect),
            Decision::Hidden
        );
        assert_eq!(
            viewer(&[], true, "OPS").file(&held, FileAction::Inspect),
            Decision::Hidden
        );
        let colleague = viewer(&[Role::Depositor], false, "A");
        assert_eq!(colleague.file(&held, FileAction::Download), Decision::Allow);
        assert_eq!(colleague.file(&held, FileAction::Confirm), Decision::Allow);
        assert_eq!(
            viewer(&[Role::Depositor], false, "B").file(&held, FileAction::Confirm),
            Decision::Hidden
        );
        let failed = FileFacts {
            folder: Folder::Results,
            organisation_id: "C",
            released: false,
            quarantined: false,
            disclosure_failed: true,
            pending_scan: false,
        };
        let controller_manager = viewer(&[Role::Manager], false, "A");
        assert_eq!(
            controller_manager.file(&failed, FileAction::OverrideRelease),
            Decision::Allow
        );
        assert_eq!(
            controller_manager.file(&failed, FileAction::Download),
            Decision::Forbidden
        );
        assert_eq!(
            controller_manager.file(&RESULT, FileAction::Inspect),
            Decision::Hidden,
            "only failed results"
        );
        assert_eq!(
            viewer(&[Role::Manager], false, "B").file(&failed, FileAction::OverrideRelease),
            Decision::Hidden
        );
        assert_eq!(
            viewer(&[Role::Processor], false, "C").file(&failed, FileAction::OverrideRelease),
            Decision::Forbidden
        );
    }
}
