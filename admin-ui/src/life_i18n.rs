//! The words of a mission's life on the web: managing it (dates, suspension, closing), its end
//! (what was destroyed when, the certificate), participants' roles, and the administrators'
//! edits of accounts and organisations. Reached as `lang.life()`; as in [`crate::i18n`], one
//! field per text and one instance per language.

use crate::i18n::Lang;

impl Lang {
    /// The mission-life texts in this language.
    pub fn life(self) -> &'static LifeStrings {
        match self {
            Lang::Fr => &LIFE_FR,
            Lang::En => &LIFE_EN,
        }
    }

    /// « 3 dépôts » / « 1 dépôt »: a count and its noun (the plural takes an `s` in both
    /// languages for the nouns used here).
    fn count(self, n: usize, fr: &str, en: &str) -> String {
        let s = if n > 1 { "s" } else { "" };
        match self {
            Lang::Fr => format!("{n} {fr}{s}"),
            Lang::En => format!("{n} {en}{s}"),
        }
    }

    /// What closing destroys at once, one line each (`retained` is the retention date in words,
    /// `None` without one).
    pub fn close_destroys(
        self,
        deposits: usize,
        unreleased: usize,
        released: usize,
        participants: usize,
        retained: Option<&str>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let d = self.count(deposits, "dépôt", "deposit");
        let u = self.count(unreleased, "résultat", "result");
        let p = self.count(participants, "participant", "participant");
        match self {
            Lang::Fr => {
                out.push(format!(
                    "Tous les dépôts : {d} (fichiers transmis par les bailleurs, y compris ceux en quarantaine)."
                ));
                out.push(format!("Les résultats non mis à disposition : {u}."));
                if retained.is_none() {
                    let r = self.count(released, "résultat", "result");
                    out.push(format!(
                        "Les résultats mis à disposition : {r}, car aucune date de conservation n'est fixée."
                    ));
                }
                out.push(format!(
                    "Les accès des participants ({p}) : plus personne ne pourra déposer, télécharger, mettre à disposition ni modifier quoi que ce soit."
                ));
            }
            Lang::En => {
                out.push(format!(
                    "Every deposit: {d} (files sent by the landlords, quarantined ones included)."
                ));
                out.push(format!("Results not released: {u}."));
                if retained.is_none() {
                    let r = self.count(released, "result", "result");
                    out.push(format!(
                        "Released results: {r}, as no retention date is set."
                    ));
                }
                out.push(format!(
                    "The participants' access ({p}): nobody will be able to upload, download, release or change anything."
                ));
            }
        }
        out
    }

    /// What closing keeps, and until when.
    pub fn close_keeps(self, released: usize, retained: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        match (self, retained) {
            (Lang::Fr, Some(date)) if released > 0 => out.push(format!(
                "Les résultats mis à disposition ({released}) restent consultables et téléchargeables par les destinataires et les participants de l'organisme responsable jusqu'au {date} ; ils seront alors détruits."
            )),
            (Lang::En, Some(date)) if released > 0 => out.push(format!(
                "The released results ({released}) stay readable and downloadable by the recipients and the controller organisation's participants until {date}; they will then be destroyed."
            )),
            (Lang::Fr, Some(_)) => out.push(
                "Aucun résultat n'a été mis à disposition : rien n'est conservé pour les destinataires.".to_owned(),
            ),
            (Lang::En, Some(_)) => out.push(
                "No result has been released: nothing is kept for the recipients.".to_owned(),
            ),
            (Lang::Fr, None) => out.push(
                "Rien n'est conservé pour les destinataires : les résultats de l'EPCI sont détruits dès la clôture.".to_owned(),
            ),
            (Lang::En, None) => out.push(
                "Nothing is kept for the recipients: the EPCI's results are destroyed at the close.".to_owned(),
            ),
        }
        out.push(
            match self {
                Lang::Fr => "Les responsables de la mission gardent sa page et, une fois tout détruit, son certificat de destruction signé.",
                Lang::En => "The mission's managers keep its page and, once everything is destroyed, its signed certificate of destruction.",
            }
            .to_owned(),
        );
        out
    }

    /// « Clôturée le 15/01/2027 à 09:00 par Marie Dupont. » or, at its end date, « Terminée à
    /// son échéance, le … ».
    pub fn ended_how(self, at: &str, closed_by: Option<&str>, closed: bool) -> String {
        match (self, closed, closed_by) {
            (Lang::Fr, true, Some(who)) => format!("Clôturée le {at} par {who}."),
            (Lang::Fr, true, None) => format!("Clôturée le {at}."),
            (Lang::Fr, false, _) => format!("Terminée à son échéance, le {at}."),
            (Lang::En, true, Some(who)) => format!("Closed on {at} by {who}."),
            (Lang::En, true, None) => format!("Closed on {at}."),
            (Lang::En, false, _) => format!("Ended at its end date, on {at}."),
        }
    }

    /// What the end destroyed, and when.
    pub fn ended_destroyed(self, at: &str) -> String {
        match self {
            Lang::Fr => format!("Les dépôts, les résultats non mis à disposition et les accès des participants ont été détruits le {at}."),
            Lang::En => format!("The deposits, the unreleased results and the participants' access were destroyed on {at}."),
        }
    }

    /// Until when released results stay, or that none stays.
    pub fn ended_retained(self, until: Option<&str>) -> String {
        match (self, until) {
            (Lang::Fr, Some(d)) => format!("Les résultats mis à disposition restent consultables par les destinataires et l'organisme responsable jusqu'au {d}, puis seront détruits."),
            (Lang::Fr, None) => "Aucune date de conservation n'était fixée : les résultats mis à disposition ont été détruits avec le reste.".to_owned(),
            (Lang::En, Some(d)) => format!("Released results stay readable by the recipients and the controller organisation until {d}, then will be destroyed."),
            (Lang::En, None) => "No retention date was set: released results were destroyed with the rest.".to_owned(),
        }
    }

    /// When everything was gone.
    pub fn all_destroyed(self, at: &str) -> String {
        match self {
            Lang::Fr => format!("Tout ce qui restait de la mission a été détruit le {at} ; sa clé de chiffrement est effacée."),
            Lang::En => format!("Everything left of the mission was destroyed on {at}; its encryption key is erased."),
        }
    }

    /// "The account of X is enabled again."
    pub fn user_enabled(self, name: &str) -> String {
        match self {
            Lang::Fr => format!("Le compte de {name} est réactivé."),
            Lang::En => format!("The account of {name} is enabled again."),
        }
    }

    /// "The account of X has been changed."
    pub fn user_changed(self, name: &str) -> String {
        match self {
            Lang::Fr => format!("Le compte de {name} a été modifié."),
            Lang::En => format!("The account of {name} has been changed."),
        }
    }

    /// "The organisation X has been changed."
    pub fn org_changed(self, name: &str) -> String {
        match self {
            Lang::Fr => format!("L'organisme « {name} » a été modifié."),
            Lang::En => format!("The organisation “{name}” has been changed."),
        }
    }

    /// The furthest date a field accepts, in words.
    pub fn at_most(self, date: &str) -> String {
        match self {
            Lang::Fr => format!("Au plus tard le {date}."),
            Lang::En => format!("On {date} at the latest."),
        }
    }
}

/// The mission-life texts of one language.
#[derive(Debug)]
pub struct LifeStrings {
    /// Heading of the manager's section.
    pub manage_heading: &'static str,
    /// What the section is for.
    pub manage_intro: &'static str,
    /// Label of the retention date.
    pub retained_label: &'static str,
    /// No retention date, in words.
    pub not_retained: &'static str,
    /// Link to the dates page.
    pub dates_link: &'static str,
    /// Link to the closing confirmation.
    pub close_link: &'static str,
    /// What suspending does.
    pub suspend_text: &'static str,
    /// The suspend button.
    pub suspend_submit: &'static str,
    /// What resuming does.
    pub resume_text: &'static str,
    /// The resume button.
    pub resume_submit: &'static str,
    /// Heading of a suspended mission's notice.
    pub suspended_heading: &'static str,
    /// A suspended mission's notice.
    pub suspended_text: &'static str,
    /// Heading of an ended mission's account.
    pub ended_heading: &'static str,
    /// After a suspension.
    pub notice_suspended: &'static str,
    /// After a resumption.
    pub notice_resumed: &'static str,
    /// After a close.
    pub notice_closed: &'static str,
    /// After a date change.
    pub notice_dates: &'static str,
    /// After a change of roles.
    pub notice_roles: &'static str,
    /// Back to the mission page.
    pub back_mission: &'static str,
    /// Title of the dates page.
    pub dates_title: &'static str,
    /// Heading of the end date form.
    pub end_heading: &'static str,
    /// The current end date.
    pub current_end: &'static str,
    /// Label of the new end date.
    pub end_label: &'static str,
    /// How to type it.
    pub end_hint: &'static str,
    /// Label of the reason.
    pub reason_label: &'static str,
    /// What the reason is for.
    pub reason_hint: &'static str,
    /// The end date button.
    pub end_submit: &'static str,
    /// Heading of the retention form.
    pub retention_heading: &'static str,
    /// What the retention is.
    pub retention_intro: &'static str,
    /// The current retention.
    pub current_retention: &'static str,
    /// Legend of the retention choice.
    pub retention_legend: &'static str,
    /// Keep the results until a date.
    pub retention_keep: &'static str,
    /// Do not keep them.
    pub retention_none: &'static str,
    /// Label of the retention date.
    pub retention_label: &'static str,
    /// How to type it.
    pub retention_hint: &'static str,
    /// The warning without retention.
    pub no_retention_warning: &'static str,
    /// The retention button.
    pub retention_submit: &'static str,
    /// A date field left empty.
    pub err_date_empty: &'static str,
    /// A date not understood.
    pub err_date: &'static str,
    /// No reason given.
    pub err_reason_empty: &'static str,
    /// No retention choice made.
    pub err_retention_choice: &'static str,
    /// Title of the closing confirmation.
    pub close_title: &'static str,
    /// Its introduction.
    pub close_intro: &'static str,
    /// Heading of what is destroyed.
    pub close_destroyed_heading: &'static str,
    /// Heading of what is kept.
    pub close_kept_heading: &'static str,
    /// Closing cannot be undone.
    pub close_irreversible: &'static str,
    /// The close button.
    pub close_submit: &'static str,
    /// Cancel.
    pub cancel: &'static str,
    /// Link to the web certificate.
    pub certificate_link: &'static str,
    /// Heading of the home page's ended missions.
    pub ended_missions_heading: &'static str,
    /// What that section lists.
    pub ended_missions_intro: &'static str,
    /// Link to a destroyed mission's certificate on the home page.
    pub home_certificate_link: &'static str,
    /// Title of the roles page.
    pub roles_title: &'static str,
    /// Label of the mission.
    pub mission_label: &'static str,
    /// Label of the person.
    pub person_label: &'static str,
    /// Label of the organisation.
    pub organisation_label: &'static str,
    /// The rules roles follow.
    pub roles_hint: &'static str,
    /// The roles button.
    pub roles_submit: &'static str,
    /// Link to the roles page from the participants table.
    pub roles_link: &'static str,
    /// Title of the account edit page.
    pub user_edit_title: &'static str,
    /// What it changes.
    pub user_edit_intro: &'static str,
    /// Why the organisation may be refused.
    pub user_org_hint: &'static str,
    /// The save button.
    pub save: &'static str,
    /// Link to edit an account or organisation.
    pub edit_action: &'static str,
    /// Link to enable an account again.
    pub enable_action: &'static str,
    /// Title of the enabling confirmation.
    pub enable_title: &'static str,
    /// What enabling does.
    pub enable_effects: &'static str,
    /// The enable button.
    pub enable_confirm: &'static str,
    /// The account is not disabled.
    pub already_enabled: &'static str,
    /// Title of the organisation edit page.
    pub org_edit_title: &'static str,
    /// What changing the kind implies.
    pub org_kind_hint: &'static str,
    /// Link to a mission's dates from the administration.
    pub admin_dates_link: &'static str,
    /// Column of the missions' actions.
    pub actions_col: &'static str,
}

static LIFE_FR: LifeStrings = LifeStrings {
    manage_heading: "Gestion de la mission",
    manage_intro: "En tant que responsable, vous pouvez modifier les dates de la mission, la suspendre ou la clôturer. Chaque action est consignée au journal d'audit.",
    retained_label: "Conservation des résultats mis à disposition",
    not_retained: "aucune : détruits dès la fin de la mission",
    dates_link: "Modifier les dates",
    close_link: "Clôturer la mission…",
    suspend_text: "Suspendre arrête tout échange de fichiers (dépôt, consultation, téléchargement, mise à disposition) jusqu'à la reprise ; rien n'est détruit.",
    suspend_submit: "Suspendre la mission",
    resume_text: "La mission est suspendue : aucun fichier ne peut être déposé ni téléchargé. La reprendre rouvre les échanges.",
    resume_submit: "Reprendre la mission",
    suspended_heading: "Mission suspendue",
    suspended_text: "Les échanges de fichiers sont arrêtés jusqu'à la reprise de la mission par son responsable : aucun fichier ne peut être déposé, consulté ni téléchargé. Rien n'a été détruit.",
    ended_heading: "Mission terminée",
    notice_suspended: "La mission est suspendue.",
    notice_resumed: "La mission a repris.",
    notice_closed: "La mission est clôturée : sa destruction a eu lieu.",
    notice_dates: "Les dates de la mission ont été modifiées.",
    notice_roles: "Les rôles ont été modifiés.",
    back_mission: "Retour à la mission",
    dates_title: "Dates de la mission",
    end_heading: "Date de fin",
    current_end: "Fin actuelle",
    end_label: "Nouvelle date de fin",
    end_hint: "Au format JJ/MM/AAAA ; la mission se termine à 23 h 59 (heure de Paris) ce jour-là.",
    reason_label: "Motif du changement",
    reason_hint: "Il est consigné au journal d'audit (par exemple : « enquête prolongée d'un mois à la demande de l'EPCI »).",
    end_submit: "Changer la date de fin",
    retention_heading: "Conservation des résultats",
    retention_intro: "À la fin de la mission, les résultats mis à disposition restent consultables par les destinataires (l'EPCI) et l'organisme responsable jusqu'à cette date, puis sont détruits.",
    current_retention: "Conservation actuelle",
    retention_legend: "Que deviennent les résultats mis à disposition à la fin de la mission ?",
    retention_keep: "Les conserver jusqu'à la date ci-dessous",
    retention_none: "Ne pas les conserver : ils sont détruits dès la fin de la mission",
    retention_label: "Conserver jusqu'au",
    retention_hint: "Au format JJ/MM/AAAA ; pas avant la fin de la mission.",
    no_retention_warning: "Attention : sans date de conservation, les résultats de l'EPCI sont détruits dès la clôture de la mission, et l'EPCI ne peut plus les télécharger.",
    retention_submit: "Enregistrer la conservation",
    err_date_empty: "Indiquez une date.",
    err_date: "Date non reconnue : écrivez-la au format JJ/MM/AAAA, par exemple 31/01/2027.",
    err_reason_empty: "Indiquez le motif du changement.",
    err_retention_choice: "Choisissez si les résultats mis à disposition sont conservés après la fin de la mission.",
    close_title: "Clôturer la mission",
    close_intro: "La clôture met fin à la mission maintenant, avant sa date de fin. Voici exactement ce qui se passera :",
    close_destroyed_heading: "Détruit immédiatement, sans retour possible",
    close_kept_heading: "Ce qui est conservé",
    close_irreversible: "La clôture ne peut pas être annulée : les fichiers détruits ne peuvent être récupérés par personne, ni depuis les sauvegardes.",
    close_submit: "Clôturer et détruire maintenant",
    cancel: "Annuler",
    certificate_link: "Voir le certificat de destruction",
    ended_missions_heading: "Missions terminées",
    ended_missions_intro: "Les missions terminées que vous pouvez encore consulter.",
    home_certificate_link: "certificat de destruction",
    roles_title: "Modifier les rôles",
    mission_label: "Mission",
    person_label: "Personne",
    organisation_label: "Organisme",
    roles_hint: "Personne ne modifie ses propres rôles. Les membres d'un EPCI ne peuvent être ni dépositaires ni chargés d'études : ils ne voient que des résultats agrégés.",
    roles_submit: "Enregistrer les rôles",
    roles_link: "Modifier les rôles",
    user_edit_title: "Modifier un compte",
    user_edit_intro: "L'identifiant de connexion ne change pas. Chaque modification est consignée au journal d'audit.",
    user_org_hint: "L'organisme décide de ce que la personne peut lire : il ne peut changer que si elle n'a plus de rôle dans une mission en cours.",
    save: "Enregistrer",
    edit_action: "Modifier",
    enable_action: "Réactiver",
    enable_title: "Réactiver un compte",
    enable_effects: "La personne pourra de nouveau se connecter, avec son mot de passe et son application d'authentification actuels (réinitialisez le compte s'ils sont perdus). Ses rôles dans les missions n'ont pas changé.",
    enable_confirm: "Réactiver le compte",
    already_enabled: "Ce compte est actif : il n'y a rien à réactiver.",
    org_edit_title: "Modifier un organisme",
    org_kind_hint: "Un organisme ne peut devenir un EPCI tant que ses membres sont dépositaires ou chargés d'études dans une mission.",
    admin_dates_link: "Dates et conservation",
    actions_col: "Actions",
};

static LIFE_EN: LifeStrings = LifeStrings {
    manage_heading: "Managing the mission",
    manage_intro: "As a manager, you may change the mission's dates, suspend it or close it. Each action is recorded in the audit trail.",
    retained_label: "Retention of released results",
    not_retained: "none: destroyed when the mission ends",
    dates_link: "Change the dates",
    close_link: "Close the mission…",
    suspend_text: "Suspending stops every file exchange (upload, listing, download, release) until it resumes; nothing is destroyed.",
    suspend_submit: "Suspend the mission",
    resume_text: "The mission is suspended: no file can be uploaded or downloaded. Resuming it opens the exchanges again.",
    resume_submit: "Resume the mission",
    suspended_heading: "Mission suspended",
    suspended_text: "File exchanges are stopped until the mission's manager resumes it: no file can be uploaded, listed or downloaded. Nothing has been destroyed.",
    ended_heading: "Mission ended",
    notice_suspended: "The mission is suspended.",
    notice_resumed: "The mission has resumed.",
    notice_closed: "The mission is closed: its destruction took place.",
    notice_dates: "The mission's dates have been changed.",
    notice_roles: "The roles have been changed.",
    back_mission: "Back to the mission",
    dates_title: "The mission's dates",
    end_heading: "End date",
    current_end: "Current end",
    end_label: "New end date",
    end_hint: "As DD/MM/YYYY; the mission ends at 23:59 (Paris time) that day.",
    reason_label: "Reason for the change",
    reason_hint: "It is recorded in the audit trail (for example: “survey extended by a month at the EPCI's request”).",
    end_submit: "Change the end date",
    retention_heading: "Retention of results",
    retention_intro: "When the mission ends, released results stay readable by the recipients (the EPCI) and the controller organisation until this date, then are destroyed.",
    current_retention: "Current retention",
    retention_legend: "What happens to released results when the mission ends?",
    retention_keep: "Keep them until the date below",
    retention_none: "Do not keep them: they are destroyed when the mission ends",
    retention_label: "Keep until",
    retention_hint: "As DD/MM/YYYY; not before the end of the mission.",
    no_retention_warning: "Warning: without a retention date, the EPCI's results are destroyed when the mission closes, and the EPCI can no longer download them.",
    retention_submit: "Save the retention",
    err_date_empty: "Give a date.",
    err_date: "Date not understood: write it as DD/MM/YYYY, for example 31/01/2027.",
    err_reason_empty: "Give the reason for the change.",
    err_retention_choice: "Choose whether released results are kept after the mission ends.",
    close_title: "Close the mission",
    close_intro: "Closing ends the mission now, before its end date. This is exactly what will happen:",
    close_destroyed_heading: "Destroyed at once, beyond recovery",
    close_kept_heading: "What is kept",
    close_irreversible: "Closing cannot be undone: destroyed files cannot be recovered by anyone, not even from backups.",
    close_submit: "Close and destroy now",
    cancel: "Cancel",
    certificate_link: "View the certificate of destruction",
    ended_missions_heading: "Ended missions",
    ended_missions_intro: "The ended missions you may still consult.",
    home_certificate_link: "certificate of destruction",
    roles_title: "Change roles",
    mission_label: "Mission",
    person_label: "Person",
    organisation_label: "Organisation",
    roles_hint: "Nobody changes their own roles. Members of an EPCI can be neither depositors nor processors: they only see aggregated results.",
    roles_submit: "Save the roles",
    roles_link: "Change roles",
    user_edit_title: "Edit an account",
    user_edit_intro: "The username does not change. Every change is recorded in the audit trail.",
    user_org_hint: "The organisation decides what the person may read: it can only change once they hold no role in a running mission.",
    save: "Save",
    edit_action: "Edit",
    enable_action: "Enable again",
    enable_title: "Enable an account again",
    enable_effects: "The person will be able to sign in again, with their current password and authenticator app (reset the account if those are lost). Their roles in missions have not changed.",
    enable_confirm: "Enable the account",
    already_enabled: "This account is active: there is nothing to enable.",
    org_edit_title: "Edit an organisation",
    org_kind_hint: "An organisation cannot become an EPCI while its members are depositors or processors in a mission.",
    admin_dates_link: "Dates and retention",
    actions_col: "Actions",
};
