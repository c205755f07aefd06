//! The words of invitations: the page an invitation link opens, and what administrators see of
//! pending invitations. Reached as `lang.invite()`; one field per text, one instance per
//! language, as in [`crate::i18n`].

use crate::i18n::Lang;

impl Lang {
    /// The invitation texts in this language.
    pub fn invite(self) -> &'static InviteStrings {
        match self {
            Lang::Fr => &INVITE_FR,
            Lang::En => &INVITE_EN,
        }
    }

    /// « Bienvenue, Marie Dupont. »
    pub fn invite_welcome(self, name: &str, username: &str) -> String {
        match self {
            Lang::Fr => format!("Bienvenue, {name}. Votre identifiant est « {username} »."),
            Lang::En => format!("Welcome, {name}. Your username is “{username}”."),
        }
    }

    /// The notice after an invitation was sent, on the administrators' pages.
    pub fn invitation_sent(self, name: &str, email: &str, until: &str) -> String {
        match self {
            Lang::Fr => format!(
                "Une invitation a été envoyée à {name} ({email}). Son lien est valable jusqu'au {until}, une seule fois."
            ),
            Lang::En => format!(
                "An invitation has been sent to {name} ({email}). Its link is valid until {until}, once."
            ),
        }
    }

    /// The notice after an invitation was withdrawn.
    pub fn invitation_revoked(self, name: &str) -> String {
        match self {
            Lang::Fr => {
                format!("L'invitation de {name} a été retirée : son lien ne fonctionne plus.")
            }
            Lang::En => {
                format!("The invitation of {name} has been withdrawn: its link no longer works.")
            }
        }
    }
}

/// The invitation texts of one language.
#[derive(Debug)]
pub struct InviteStrings {
    /// Title of the invitation page.
    pub title: &'static str,
    /// What the page asks for, in three steps.
    pub intro: &'static str,
    /// Heading of the first step (the password).
    pub step_password: &'static str,
    /// Heading of the second step (the charter).
    pub step_charter: &'static str,
    /// What comes after the button.
    pub next_hint: &'static str,
    /// The button.
    pub submit: &'static str,
    /// The page of a dead link.
    pub expired: &'static str,
    /// Where to go with a dead link.
    pub expired_next: &'static str,
    /// The checkbox on the account creation form.
    pub send_label: &'static str,
    /// Its explanation.
    pub send_hint: &'static str,
    /// Heading of the pending invitations on the accounts page.
    pub pending_title: &'static str,
    /// Caption of their table.
    pub pending_caption: &'static str,
    /// Column: e-mail address.
    pub email_label: &'static str,
    /// Column: sent at.
    pub sent_label: &'static str,
    /// Column: valid until.
    pub expires_label: &'static str,
    /// No pending invitation.
    pub none_pending: &'static str,
    /// Button: send the invitation again.
    pub resend_action: &'static str,
    /// Button: withdraw it.
    pub revoke_action: &'static str,
    /// Button on an account never used: send an invitation.
    pub send_action: &'static str,
    /// On the one-time password page, when an invitation left too.
    pub password_fallback: &'static str,
}

/// French.
pub static INVITE_FR: InviteStrings = InviteStrings {
    title: "Activer votre compte",
    intro: "Pour activer votre compte Passerelle : choisissez votre mot de passe, acceptez la charte d'utilisation, puis enregistrez une application d'authentification (sur votre téléphone, par exemple). Ce lien ne sert qu'une fois.",
    step_password: "Étape 1 sur 3 : votre mot de passe",
    step_charter: "Étape 2 sur 3 : la charte d'utilisation",
    next_hint: "Étape suivante : l'application d'authentification, puis vos codes de secours.",
    submit: "Enregistrer et continuer",
    expired: "Ce lien d'invitation n'est plus valable : il a expiré, a déjà servi ou a été retiré.",
    expired_next: "Si vous avez déjà choisi votre mot de passe, connectez-vous pour terminer. Sinon, demandez une nouvelle invitation à l'administrateur de la plateforme.",
    send_label: "Envoyer une invitation par e-mail",
    send_hint: "La personne reçoit un lien à usage unique, valable quelques jours, pour choisir son mot de passe, accepter la charte et enregistrer son application d'authentification. Le mot de passe provisoire reste affiché en secours.",
    pending_title: "Invitations en attente",
    pending_caption: "Invitations envoyées et pas encore utilisées",
    email_label: "Adresse électronique",
    sent_label: "Envoyée le",
    expires_label: "Valable jusqu'au",
    none_pending: "Aucune invitation en attente.",
    resend_action: "Renvoyer",
    revoke_action: "Retirer",
    send_action: "Inviter",
    password_fallback: "Si l'invitation ne lui parvient pas, la personne peut aussi se connecter avec ce mot de passe provisoire, transmis par un autre canal.",
};

/// English.
pub static INVITE_EN: InviteStrings = InviteStrings {
    title: "Activate your account",
    intro: "To activate your Passerelle account: choose your password, accept the terms of use, then register an authenticator app (on your phone, for instance). This link works only once.",
    step_password: "Step 1 of 3: your password",
    step_charter: "Step 2 of 3: the terms of use",
    next_hint: "Next step: the authenticator app, then your recovery codes.",
    submit: "Save and continue",
    expired: "This invitation link is no longer valid: it has expired, was already used or was withdrawn.",
    expired_next: "If you already chose your password, sign in to finish. Otherwise ask the platform's administrator for a new invitation.",
    send_label: "Send an invitation by e-mail",
    send_hint: "The person receives a single-use link, valid for a few days, to choose their password, accept the terms of use and register their authenticator app. The temporary password is still shown as a fallback.",
    pending_title: "Pending invitations",
    pending_caption: "Invitations sent and not used yet",
    email_label: "E-mail address",
    sent_label: "Sent on",
    expires_label: "Valid until",
    none_pending: "No pending invitation.",
    resend_action: "Send again",
    revoke_action: "Withdraw",
    send_action: "Invite",
    password_fallback: "If the invitation does not reach them, the person may also sign in with this temporary password, handed over another way.",
};
