//! A participant's role in a mission.

super::stored_words! {
    /// A role in a mission.
    Role, "role" {
        /// Manages participants, dates and suspension.
        Manager => "manager",
        /// Deposits raw files (bailleur staff).
        Depositor => "depositor",
        /// Processes deposits and produces results (consultancy).
        Processor => "processor",
        /// Receives released results (EPCI).
        Recipient => "recipient",
    }
}

impl Role {
    /// Whether the role reads raw deposits (or puts them there).
    pub fn touches_raw_data(self) -> bool {
        matches!(self, Role::Depositor | Role::Processor)
    }
}
