//! A ready-made world: a bailleur depositor, a consultancy processor, an EPCI recipient and
//! manager in one mission whose controller is the EPCI.

use crate::accounts::Account;
use crate::app::TestApp;

/// A bailleur depositor, a consultancy processor and an EPCI recipient and manager in one
/// mission.
pub struct Exchange {
    /// Platform admin.
    pub admin: Account,
    /// Bailleur organisation.
    pub bailleur: String,
    /// Consultancy organisation.
    pub consultancy: String,
    /// EPCI organisation (controller).
    pub epci: String,
    /// Depositor of the bailleur.
    pub depositor: Account,
    /// Processor of the consultancy.
    pub processor: Account,
    /// Recipient of the EPCI.
    pub recipient: Account,
    /// Manager of the EPCI.
    pub manager: Account,
    /// Mission id.
    pub mission: String,
}

impl TestApp {
    /// Seeds an [`Exchange`] through the API.
    pub async fn exchange(&self) -> Exchange {
        let admin = self.admin("operateur").await;
        let bailleur = self.organisation(&admin, "Habitat Hénin", "bailleur").await;
        let consultancy = self
            .organisation(&admin, "Cabinet Études Urbaines", "consultancy")
            .await;
        let epci = self
            .organisation(&admin, "Communauté d'agglomération Hénin-Carvin", "epci")
            .await;
        let depositor = self.user(&admin, "depot.henin", &bailleur).await;
        let processor = self.user(&admin, "analyste", &consultancy).await;
        let recipient = self.user(&admin, "destinataire", &epci).await;
        let manager = self.user(&admin, "chef.projet", &epci).await;
        let mission = self.create_mission(&admin, "OPS 2027", &epci).await;
        for (who, role) in [
            (&depositor, "depositor"),
            (&processor, "processor"),
            (&recipient, "recipient"),
            (&manager, "manager"),
        ] {
            self.add_participant(&admin.token, &mission, &who.id, role)
                .await;
        }
        Exchange {
            admin,
            bailleur,
            consultancy,
            epci,
            depositor,
            processor,
            recipient,
            manager,
            mission,
        }
    }
}
