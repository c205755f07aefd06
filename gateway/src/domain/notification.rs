//! The kinds of notification a person may receive by e-mail. Their words are the stable names of
//! the API (`GET/PUT /api/v1/me/notifications`) and of the stored choices: never change one,
//! only add.

super::stored_words! {
    /// A kind of notification, each on by default and switchable per person.
    NotificationKind, "notification kind" {
        /// A deposit arrived (to the mission's processors; not while quarantined).
        DepositArrived => "deposit_arrived",
        /// A deposit was quarantined (to the uploader's organisation's depositors).
        DepositQuarantined => "deposit_quarantined",
        /// A quarantined deposit was confirmed (to the processors).
        DepositConfirmed => "deposit_confirmed",
        /// A result was released (to the recipients).
        ResultReleased => "result_released",
        /// A result was refused by the disclosure check (to the processors).
        ResultRefused => "result_refused",
        /// A role of mine was added or removed.
        RoleChanged => "role_changed",
        /// A processor was granted (to the controller organisation's managers).
        ProcessorGranted => "processor_granted",
        /// The mission ends in 7 days, then in 1 day.
        MissionEnding => "mission_ending",
        /// The mission was closed by its manager.
        MissionClosed => "mission_closed",
        /// The mission was destroyed (with its certificate's link).
        MissionDestroyed => "mission_destroyed",
        /// The first download of one of my deposits by a processor.
        FirstDownload => "first_download",
    }
}
