//! `/compte/notifications`: a person's notification choices, one box per kind and the hourly
//! digest. Its words are reached as `lang.notify()`; as in [`crate::i18n`], one field per text and
//! one instance per language.

use crate::i18n::Lang;
use crate::pages::Layout;
use askama::Template;

impl Lang {
    /// The notification page's texts in this language.
    pub fn notify(self) -> &'static NotifyStrings {
        match self {
            Lang::Fr => &NOTIFY_FR,
            Lang::En => &NOTIFY_EN,
        }
    }

    /// A kind's label and hint, by its stable name (`None` for a name this table does not know).
    pub fn notification_kind(self, kind: &str) -> Option<(&'static str, &'static str)> {
        let (fr, en) = match kind {
            "deposit_arrived" => (
                ("Un dépôt est arrivé", "aux chargés d'études de la mission ; pas tant qu'il est en quarantaine"),
                ("A deposit arrived", "to the mission's processors; not while it is quarantined"),
            ),
            "deposit_quarantined" => (
                ("Un dépôt est mis en quarantaine", "aux dépositaires de l'organisme qui l'a déposé, avec ce qu'il faut faire"),
                ("A deposit was quarantined", "to the depositors of the organisation that deposited it, with what to do"),
            ),
            "deposit_confirmed" => (
                ("Un dépôt en quarantaine est confirmé", "aux chargés d'études de la mission"),
                ("A quarantined deposit was confirmed", "to the mission's processors"),
            ),
            "result_released" => (
                ("Un résultat est mis à disposition", "aux destinataires de la mission"),
                ("A result was released", "to the mission's recipients"),
            ),
            "result_refused" => (
                ("Un résultat est refusé par le contrôle de confidentialité", "aux chargés d'études, avec le nombre de cases en cause"),
                ("A result was refused by the disclosure check", "to the processors, with the count of cells at fault"),
            ),
            "role_changed" => (
                ("Un de mes rôles est ajouté ou retiré", "à la personne concernée"),
                ("A role of mine was added or removed", "to the person concerned"),
            ),
            "processor_granted" => (
                ("Un chargé d'études est nommé", "aux responsables de l'organisme responsable de la mission"),
                ("A processor was granted", "to the managers of the mission's controller organisation"),
            ),
            "mission_ending" => (
                ("La mission se termine dans 7 jours, puis dans 1 jour", "à tous les participants"),
                ("The mission ends in 7 days, then in 1 day", "to every participant"),
            ),
            "mission_closed" => (
                ("La mission est close", "à tous les participants"),
                ("The mission was closed", "to every participant"),
            ),
            "mission_destroyed" => (
                ("La mission est détruite", "à tous les participants, avec le lien du certificat pour ceux qui peuvent le lire"),
                ("The mission was destroyed", "to every participant, with the certificate's link for those who may read it"),
            ),
            "first_download" => (
                ("Mon dépôt est téléchargé pour la première fois par un chargé d'études", "une fois par dépôt"),
                ("My deposit was downloaded for the first time by a processor", "once per deposit"),
            ),
            _ => return None,
        };
        Some(match self {
            Lang::Fr => fr,
            Lang::En => en,
        })
    }
}

/// The notification page's words.
#[derive(Debug)]
pub struct NotifyStrings {
    /// Link in the page header.
    pub header_link: &'static str,
    /// Page title.
    pub title: &'static str,
    /// What the page is for.
    pub intro: &'static str,
    /// Legend of the kinds' boxes.
    pub kinds_legend: &'static str,
    /// Legend of the digest box.
    pub digest_legend: &'static str,
    /// The digest box's label.
    pub digest_label: &'static str,
    /// The digest box's hint.
    pub digest_hint: &'static str,
    /// The submit button.
    pub submit: &'static str,
    /// Said once saved.
    pub saved: &'static str,
    /// Link back home.
    pub back_home: &'static str,
}

/// French.
pub static NOTIFY_FR: NotifyStrings = NotifyStrings {
    header_link: "Mes notifications",
    title: "Mes notifications par courriel",
    intro: "Passerelle vous écrit quand quelque chose se passe dans vos missions. Les messages ne contiennent jamais le contenu des fichiers : seulement les noms des fichiers et des missions. Décochez ce que vous ne voulez pas recevoir.",
    kinds_legend: "Me prévenir quand :",
    digest_legend: "Regroupement",
    digest_label: "Regrouper les messages d'une même mission (au plus un message par mission et par heure)",
    digest_hint: "Les messages d'une mission arrivés en une heure vous sont envoyés ensemble, une heure après le premier.",
    submit: "Enregistrer mes choix",
    saved: "Vos choix sont enregistrés.",
    back_home: "Retour à l'accueil",
};

/// English.
pub static NOTIFY_EN: NotifyStrings = NotifyStrings {
    header_link: "My notifications",
    title: "My e-mail notifications",
    intro: "Passerelle writes to you when something happens in your missions. Messages never contain the content of files: only the names of files and missions. Untick what you do not want to receive.",
    kinds_legend: "Tell me when:",
    digest_legend: "Gathering",
    digest_label: "Gather the messages of one mission (at most one message per mission per hour)",
    digest_hint: "A mission's messages that arrive within an hour are sent to you together, one hour after the first.",
    submit: "Save my choices",
    saved: "Your choices are saved.",
    back_home: "Back to the home page",
};

/// One kind's box.
#[derive(Debug, Clone, Default)]
pub struct KindBox {
    /// The stable name (the field's value).
    pub value: String,
    /// Its label.
    pub label: String,
    /// Who receives it.
    pub hint: String,
    /// On.
    pub ticked: bool,
}

/// `GET /compte/notifications`: the choices as boxes.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    /// Language of the page.
    pub lang: Lang,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// One box per kind.
    pub kinds: Vec<KindBox>,
    /// The digest option.
    pub digest: bool,
    /// Just saved.
    pub saved: bool,
}

impl Layout for NotificationsPage {
    fn retour(&self) -> Option<&str> {
        Some("/compte/notifications")
    }
    fn csrf_token(&self) -> Option<&str> {
        Some(&self.csrf_token)
    }
}
