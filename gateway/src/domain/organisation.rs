//! The kinds of organisations.

super::stored_words! {
    /// What an organisation is, as the API names it.
    OrganisationKind, "organisation kind" {
        /// A social landlord: usually the controller, owns the raw data.
        Bailleur => "bailleur",
        /// A public body of communes: receives aggregates only.
        Epci => "epci",
        /// A consultancy: processes deposits.
        Consultancy => "consultancy",
        /// Anything else (platform operators, …).
        Other => "other",
    }
}
