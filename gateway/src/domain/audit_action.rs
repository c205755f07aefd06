//! The operations the audit trail records. The codes are stored in the hash-chained trail:
//! never change one (existing rows would no longer verify), only add.

super::stored_words! {
    /// An operation recorded in the audit trail; its word is the stored action code.
    AuditAction, "audit action" {
        /// A sign-in.
        Login => "auth.login",
        /// A failed sign-in.
        LoginFailed => "auth.login_failed",
        /// A sign-out.
        Logout => "auth.logout",
        /// The usage charter accepted.
        CharterAccept => "charter.accept",
        /// A password change.
        PasswordChange => "auth.password_change",
        /// The audit trail read through the API.
        AuditRead => "audit.read",
        /// A file upload.
        FileUpload => "file.upload",
        /// A download.
        FileDownload => "file.download",
        /// A file deleted by a participant.
        FileDelete => "file.delete",
        /// A result released (or its release refused).
        FileRelease => "file.release",
        /// A file destroyed at its expiry or with its mission.
        FileDestroy => "file.destroy",
        /// A folder's file list read.
        FileList => "file.list",
        /// A file's details read.
        FileInspect => "file.inspect",
        /// A quarantined deposit confirmed.
        FileConfirm => "file.confirm",
        /// A deposit quarantined by the identifier scan.
        FileQuarantine => "file.quarantine",
        /// A virus found: the file removed.
        FileVirus => "file.virus",
        /// The antivirus could not scan: the file held.
        FileScanHeld => "file.scan_held",
        /// A held file scanned and passed.
        FileScan => "file.scan",
        /// A file's own destruction date set.
        FileExpiry => "file.expiry",
        /// A mission created.
        MissionCreate => "mission.create",
        /// A mission's dates or window changed.
        MissionUpdate => "mission.update",
        /// A mission viewed.
        MissionView => "mission.view",
        /// A participant added.
        ParticipantAdd => "mission.participant_add",
        /// A participant removed.
        ParticipantRemove => "mission.participant_remove",
        /// A mission suspended.
        MissionSuspend => "mission.suspend",
        /// A mission resumed.
        MissionResume => "mission.resume",
        /// A mission closed by its manager.
        MissionClose => "mission.close",
        /// A mission reached its end date.
        MissionEnd => "mission.end",
        /// A mission destroyed.
        MissionDestroy => "mission.destroy",
        /// The end-of-mission warning sent.
        MissionWarning => "mission.warning",
        /// The register of processing exported.
        MissionRegister => "mission.register",
        /// An organisation created.
        OrganisationCreate => "organisation.create",
        /// An account created.
        UserCreate => "user.create",
        /// An account disabled.
        UserDisable => "user.disable",
        /// An account reset.
        UserReset => "user.reset",
        /// A disabled account enabled again.
        UserEnable => "user.enable",
        /// An account's name, e-mail or organisation changed.
        UserUpdate => "user.update",
        /// An organisation's name or kind changed.
        OrganisationUpdate => "organisation.update",
        /// A notification sent (or queued for a digest): its kind and how many people, never its text.
        NotificationSend => "notification.send",
        /// A person's notification choices changed.
        NotificationSettings => "notification.settings",
        /// A person ended one of their own sessions from their account page.
        SessionEnd => "account.session_end",
        /// A person renewed their recovery codes.
        RecoveryCodes => "account.recovery_codes",
        /// A person enrolled a new authenticator (verification, then confirmation).
        TotpReenrol => "account.totp_reenrol",
        /// A password reset link asked for (whether or not an account matched).
        PasswordResetRequest => "auth.password_reset_request",
        /// A password set through a reset link.
        PasswordReset => "auth.password_reset",
        /// An invitation e-mailed to a new account (or sent again: the older link died).
        InvitationSend => "user.invitation_send",
        /// A pending invitation withdrawn by an administrator.
        InvitationRevoke => "user.invitation_revoke",
        /// An invitation used: the password chosen and the charter accepted through its link.
        InvitationAccept => "user.invitation_accept",
        /// A person registered a passkey (WebAuthn) on their account.
        PasskeyAdd => "account.passkey_add",
        /// A person removed one of their passkeys.
        PasskeyRemove => "account.passkey_remove",
        /// A person removed their authenticator app, their passkeys replacing it.
        TotpRemove => "account.totp_remove",
        /// The service locked down (every session ended, logins and file transfers refused).
        LockdownOn => "platform.lockdown_on",
        /// The lockdown lifted: service restored.
        LockdownOff => "platform.lockdown_off",
        /// A scheduled backup ran (its folder, the older folders removed, or why it failed).
        BackupScheduled => "backup.scheduled",
        /// An account warned by e-mail that it will be disabled for inactivity.
        InactivityWarning => "user.inactivity_warning",
        /// The yearly access review of an organisation recorded as done.
        ReviewDone => "review.done",
        /// An incident report generated (its window and filters, how many events it found).
        IncidentReport => "incident.report",
        /// The platform register of processing (GDPR art. 30) exported or shown.
        PlatformRegister => "platform.register",
    }
}
