//! The words of the self-service account (`/compte`) and of « mot de passe oublié ». Reached as
//! `lang.account()`; as in [`crate::i18n`], one field per text and one instance per language.

use crate::i18n::Lang;

impl Lang {
    /// The account texts in this language.
    pub fn account(self) -> &'static AccountStrings {
        match self {
            Lang::Fr => &ACCOUNT_FR,
            Lang::En => &ACCOUNT_EN,
        }
    }

    /// « Il vous reste 7 codes de secours. »
    pub fn codes_left(self, n: i64) -> String {
        match (self, n) {
            (Lang::Fr, 0) => "Il ne vous reste aucun code de secours.".to_owned(),
            (Lang::Fr, 1) => "Il vous reste 1 code de secours.".to_owned(),
            (Lang::Fr, n) => format!("Il vous reste {n} codes de secours."),
            (Lang::En, 0) => "You have no recovery code left.".to_owned(),
            (Lang::En, 1) => "You have 1 recovery code left.".to_owned(),
            (Lang::En, n) => format!("You have {n} recovery codes left."),
        }
    }

    /// What a password change ended, for the notice after it.
    pub fn password_changed(self, ended: u64) -> String {
        match (self, ended) {
            (Lang::Fr, 0) => "Votre mot de passe a été changé.".to_owned(),
            (Lang::Fr, 1) => {
                "Votre mot de passe a été changé. Votre autre session a été fermée.".to_owned()
            }
            (Lang::Fr, n) => {
                format!("Votre mot de passe a été changé. Vos {n} autres sessions ont été fermées.")
            }
            (Lang::En, 0) => "Your password has been changed.".to_owned(),
            (Lang::En, 1) => {
                "Your password has been changed. Your other session has been ended.".to_owned()
            }
            (Lang::En, n) => {
                format!("Your password has been changed. Your {n} other sessions have been ended.")
            }
        }
    }

    /// The device of a session in plain words, from its `User-Agent` (« Firefox sous Windows »).
    pub fn device(self, user_agent: Option<&str>, script: bool) -> String {
        let ua = user_agent.unwrap_or_default();
        let browser = [
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
            ("python", "Python"),
            ("reqwest", "reqwest"),
        ]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
        let system = [
            ("iPhone", "iPhone"),
            ("iPad", "iPad"),
            ("Android", "Android"),
            ("Windows", "Windows"),
            ("CrOS", "ChromeOS"),
            ("Mac OS X", "macOS"),
            ("Macintosh", "macOS"),
            ("Linux", "Linux"),
        ]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
        match (self, browser, system, script) {
            (Lang::Fr, Some(b), Some(s), _) => format!("{b} sous {s}"),
            (Lang::En, Some(b), Some(s), _) => format!("{b} on {s}"),
            (Lang::Fr, Some(b), None, true) => format!("Script ({b})"),
            (Lang::En, Some(b), None, true) => format!("Script ({b})"),
            (_, Some(b), None, false) => b.to_owned(),
            (Lang::Fr, None, Some(s), _) => format!("Appareil sous {s}"),
            (Lang::En, None, Some(s), _) => format!("Device on {s}"),
            (Lang::Fr, None, None, true) => "Script ou programme".to_owned(),
            (Lang::En, None, None, true) => "Script or program".to_owned(),
            (Lang::Fr, None, None, false) => "Navigateur non reconnu".to_owned(),
            (Lang::En, None, None, false) => "Unrecognised browser".to_owned(),
        }
    }
}

/// Every text of the account pages, in one language.
#[derive(Debug)]
pub struct AccountStrings {
    /// Header link and page title.
    pub title: &'static str,
    /// Intro of the page.
    pub intro: &'static str,
    /// Name label.
    pub name_label: &'static str,
    /// Login name label.
    pub username_label: &'static str,
    /// E-mail label.
    pub email_label: &'static str,
    /// Password section heading.
    pub password_heading: &'static str,
    /// What changing the password does to the other sessions.
    pub password_intro: &'static str,
    /// Current password label.
    pub current_password_label: &'static str,
    /// Submit of the password form.
    pub password_submit: &'static str,
    /// Empty current password.
    pub err_current_empty: &'static str,
    /// Wrong current password.
    pub err_current_wrong: &'static str,
    /// Sessions section heading.
    pub sessions_heading: &'static str,
    /// Sessions intro.
    pub sessions_intro: &'static str,
    /// Sessions table caption.
    pub sessions_caption: &'static str,
    /// Column: device.
    pub device_col: &'static str,
    /// Column: address.
    pub address_col: &'static str,
    /// Column: opened.
    pub opened_col: &'static str,
    /// Column: last use.
    pub last_use_col: &'static str,
    /// Column: action.
    pub action_col: &'static str,
    /// Marks the session of the page.
    pub this_session: &'static str,
    /// End a session.
    pub end_session: &'static str,
    /// End this session (signs out).
    pub end_this_session: &'static str,
    /// An unknown address.
    pub unknown_address: &'static str,
    /// Notice after ending a session.
    pub session_ended: &'static str,
    /// Recovery codes section heading.
    pub codes_heading: &'static str,
    /// Recovery codes intro.
    pub codes_intro: &'static str,
    /// Submit: new codes.
    pub codes_submit: &'static str,
    /// Authenticator section heading.
    pub totp_heading: &'static str,
    /// Authenticator intro.
    pub totp_intro: &'static str,
    /// Submit: new authenticator.
    pub totp_submit: &'static str,
    /// The second-factor field's label.
    pub factor_label: &'static str,
    /// The second-factor field's hint.
    pub factor_hint: &'static str,
    /// Empty second factor.
    pub err_factor_empty: &'static str,
    /// Wrong second factor.
    pub err_factor_wrong: &'static str,
    /// Notifications section heading.
    pub notifications_heading: &'static str,
    /// Link to the notification choices.
    pub notifications_link: &'static str,
    /// Missions section heading.
    pub missions_heading: &'static str,
    /// No mission.
    pub no_missions: &'static str,
    /// The new authenticator page's title.
    pub enrol_title: &'static str,
    /// Its intro (the old one works until confirmed).
    pub enrol_intro: &'static str,
    /// Its submit.
    pub enrol_submit: &'static str,
    /// No enrolment pending.
    pub enrol_none: &'static str,
    /// Back to the account page.
    pub back_link: &'static str,
    /// The new codes page's intro (after regeneration or re-enrolment).
    pub new_codes_intro: &'static str,
    /// Login page link.
    pub forgot_link: &'static str,
    /// Forgot page title.
    pub forgot_title: &'static str,
    /// Forgot page intro.
    pub forgot_intro: &'static str,
    /// E-mail field label.
    pub forgot_email_label: &'static str,
    /// Forgot submit.
    pub forgot_submit: &'static str,
    /// Empty e-mail.
    pub err_email_empty: &'static str,
    /// The answer, whatever the address.
    pub forgot_sent: &'static str,
    /// Reset page title.
    pub reset_title: &'static str,
    /// Reset page intro.
    pub reset_intro: &'static str,
    /// Reset submit.
    pub reset_submit: &'static str,
    /// The link is unknown, used or expired.
    pub reset_expired: &'static str,
    /// Done: sign in.
    pub reset_done: &'static str,
    /// Back to the login.
    pub login_link: &'static str,
    /// The passkeys section's heading.
    pub pk_heading: &'static str,
    /// Its intro (TOTP stays the fallback).
    pub pk_intro: &'static str,
    /// The passkeys table's caption.
    pub pk_caption: &'static str,
    /// No passkey.
    pub pk_none: &'static str,
    /// Name column.
    pub pk_name_col: &'static str,
    /// Added column.
    pub pk_added_col: &'static str,
    /// Last use column.
    pub pk_used_col: &'static str,
    /// Never used.
    pub pk_never: &'static str,
    /// The remove button.
    pub pk_remove: &'static str,
    /// The add form's heading.
    pub pk_add_heading: &'static str,
    /// The name field.
    pub pk_name_label: &'static str,
    /// Its hint.
    pub pk_name_hint: &'static str,
    /// The add form's submit.
    pub pk_add_submit: &'static str,
    /// The registration page's title.
    pub pk_register_title: &'static str,
    /// Its intro.
    pub pk_register_intro: &'static str,
    /// Its button.
    pub pk_register_button: &'static str,
    /// Without JavaScript.
    pub pk_needs_script: &'static str,
    /// The browser could not use the passkey (shown by the script).
    pub pk_browser_failed: &'static str,
    /// A bad name.
    pub err_pk_name: &'static str,
    /// A registration answer refused.
    pub err_pk_not_verified: &'static str,
    /// No registration pending.
    pub err_pk_none: &'static str,
    /// Notice after adding.
    pub pk_added: &'static str,
    /// Notice after removal.
    pub pk_removed: &'static str,
    /// The login page's passkey section.
    pub pk_login_heading: &'static str,
    /// Its intro.
    pub pk_login_intro: &'static str,
    /// Its button.
    pub pk_login_button: &'static str,
    /// A passkey refused at login.
    pub err_pk_refused: &'static str,
    /// The app removal form's heading.
    pub pk_totp_remove_heading: &'static str,
    /// Its intro.
    pub pk_totp_remove_intro: &'static str,
    /// Its submit.
    pub pk_totp_remove_submit: &'static str,
    /// Notice after removal.
    pub pk_totp_removed: &'static str,
    /// The last passkey of an account without an app.
    pub err_pk_last: &'static str,
}

/// French.
pub static ACCOUNT_FR: AccountStrings = AccountStrings {
    title: "Mon compte",
    intro: "Votre mot de passe, vos sessions ouvertes, vos codes de secours, votre application d'authentification et vos missions.",
    name_label: "Nom",
    username_label: "Identifiant",
    email_label: "Adresse électronique",
    password_heading: "Changer de mot de passe",
    password_intro: "Votre mot de passe actuel vous est demandé. Le changer ferme toutes vos autres sessions ouvertes (sur d'autres navigateurs ou appareils, et les scripts) ; celle-ci reste ouverte.",
    current_password_label: "Mot de passe actuel",
    password_submit: "Changer de mot de passe",
    err_current_empty: "Saisissez votre mot de passe actuel.",
    err_current_wrong: "Le mot de passe actuel est incorrect.",
    sessions_heading: "Mes sessions ouvertes",
    sessions_intro: "Chaque connexion ouvre une session. Si vous ne reconnaissez pas l'une d'elles, fermez-la et changez votre mot de passe.",
    sessions_caption: "Sessions ouvertes, de la plus récemment utilisée à la plus ancienne",
    device_col: "Appareil",
    address_col: "Adresse",
    opened_col: "Ouverte le",
    last_use_col: "Dernière activité",
    action_col: "Action",
    this_session: "(cette session)",
    end_session: "Fermer la session",
    end_this_session: "Fermer cette session (vous serez déconnecté)",
    unknown_address: "inconnue",
    session_ended: "La session a été fermée.",
    codes_heading: "Codes de secours",
    codes_intro: "Générer de nouveaux codes rend inutilisables ceux que vous avez. Les nouveaux codes ne sont montrés qu'une fois.",
    codes_submit: "Générer de nouveaux codes de secours",
    totp_heading: "Application d'authentification",
    totp_intro: "Nouveau téléphone ? Enregistrez Passerelle dans une nouvelle application. L'ancienne reste valable jusqu'à la confirmation de la nouvelle.",
    totp_submit: "Enregistrer une nouvelle application",
    factor_label: "Code actuel de l'application, ou un code de secours",
    factor_hint: "6 chiffres, ou un code de secours comme abcd-efgh-ijkl-mnop.",
    err_factor_empty: "Saisissez le code de votre application ou un code de secours.",
    err_factor_wrong: "Ce code est incorrect, expiré ou déjà utilisé.",
    notifications_heading: "Notifications",
    notifications_link: "Choisir les messages que je reçois",
    missions_heading: "Mes missions et mes rôles",
    no_missions: "Vous ne participez à aucune mission.",
    enrol_title: "Enregistrer une nouvelle application d'authentification",
    enrol_intro: "Votre ancienne application reste valable jusqu'à ce que vous confirmiez la nouvelle avec un code qu'elle affiche.",
    enrol_submit: "Confirmer la nouvelle application",
    enrol_none: "Aucune nouvelle application n'est en cours d'enregistrement. Recommencez depuis votre compte.",
    back_link: "Retour à mon compte",
    new_codes_intro: "Vos anciens codes de secours ne fonctionnent plus. Voici les nouveaux.",
    forgot_link: "Mot de passe oublié ?",
    forgot_title: "Mot de passe oublié",
    forgot_intro: "Saisissez l'adresse électronique de votre compte. Si elle correspond à un compte actif, vous recevrez un lien pour choisir un nouveau mot de passe. Il vous faudra aussi le code de votre application d'authentification ou un code de secours.",
    forgot_email_label: "Adresse électronique",
    forgot_submit: "Recevoir un lien",
    err_email_empty: "Saisissez votre adresse électronique.",
    forgot_sent: "Si cette adresse correspond à un compte actif, un lien vient d'y être envoyé. Il est valable peu de temps et une seule fois. Pensez à regarder dans les indésirables.",
    reset_title: "Choisir un nouveau mot de passe",
    reset_intro: "Choisissez un nouveau mot de passe, puis confirmez avec le code de votre application d'authentification ou un code de secours. Toutes vos sessions ouvertes seront fermées.",
    reset_submit: "Changer de mot de passe",
    reset_expired: "Ce lien n'est plus valable : il a expiré ou a déjà servi. Demandez-en un nouveau.",
    reset_done: "Votre mot de passe a été changé. Vous pouvez vous connecter.",
    login_link: "Se connecter",
    pk_heading: "Clés d'accès",
    pk_intro: "Une clé d'accès (clé de sécurité USB, ou téléphone et ordinateur déverrouillés par empreinte, visage ou code) peut remplacer le code de votre application d'authentification à la connexion. Votre application reste valable en secours.",
    pk_caption: "Vos clés d'accès",
    pk_none: "Vous n'avez enregistré aucune clé d'accès.",
    pk_name_col: "Nom",
    pk_added_col: "Ajoutée le",
    pk_used_col: "Dernière utilisation",
    pk_never: "Jamais",
    pk_remove: "Retirer",
    pk_add_heading: "Ajouter une clé d'accès",
    pk_name_label: "Nom de la clé",
    pk_name_hint: "Pour la reconnaître, par exemple « Clé USB bleue » ou « Ordinateur du bureau ». 60 caractères au plus.",
    pk_add_submit: "Ajouter une clé d'accès",
    pk_register_title: "Enregistrer la clé d'accès",
    pk_register_intro: "Appuyez sur le bouton, puis suivez les indications de votre navigateur : toucher la clé, ou déverrouiller l'appareil par empreinte, visage ou code. Vous avez cinq minutes.",
    pk_register_button: "Enregistrer la clé",
    pk_needs_script: "Cette étape a besoin de JavaScript, désactivé dans votre navigateur. Votre application d'authentification reste utilisable.",
    pk_browser_failed: "Le navigateur n'a pas pu utiliser la clé d'accès (opération annulée, délai dépassé ou clé non prise en charge). Réessayez.",
    err_pk_name: "Donnez à la clé un nom de 1 à 60 caractères.",
    err_pk_not_verified: "La clé d'accès n'a pas pu être vérifiée. Recommencez depuis votre compte.",
    err_pk_none: "Aucune clé d'accès n'est en cours d'enregistrement, ou le délai est dépassé. Recommencez depuis votre compte.",
    pk_added: "La clé d'accès a été ajoutée. Vous pourrez l'utiliser à votre prochaine connexion.",
    pk_removed: "La clé d'accès a été retirée.",
    pk_login_heading: "Avec une clé d'accès",
    pk_login_intro: "Vous pouvez utiliser à la place du code l'une des clés d'accès enregistrées sur votre compte.",
    pk_login_button: "Utiliser une clé d'accès",
    err_pk_refused: "La clé d'accès n'a pas été acceptée. Réessayez, ou saisissez le code de votre application.",
    pk_totp_remove_heading: "Se passer de l'application",
    pk_totp_remove_intro: "Sur ce service, vos clés d'accès peuvent remplacer votre application d'authentification. Une fois l'application retirée, vous vous connecterez avec une clé d'accès ou un code de secours.",
    pk_totp_remove_submit: "Retirer l'application d'authentification",
    pk_totp_removed: "Votre application d'authentification a été retirée. Connectez-vous désormais avec une clé d'accès.",
    err_pk_last: "C'est votre dernière clé d'accès et vous n'avez plus d'application d'authentification : enregistrez d'abord une application.",
};

/// English.
pub static ACCOUNT_EN: AccountStrings = AccountStrings {
    title: "My account",
    intro: "Your password, your open sessions, your recovery codes, your authenticator app and your missions.",
    name_label: "Name",
    username_label: "Username",
    email_label: "E-mail address",
    password_heading: "Change password",
    password_intro: "Your current password is required. Changing it ends all your other open sessions (on other browsers or devices, and scripts); this one stays open.",
    current_password_label: "Current password",
    password_submit: "Change password",
    err_current_empty: "Enter your current password.",
    err_current_wrong: "The current password is wrong.",
    sessions_heading: "My open sessions",
    sessions_intro: "Each sign-in opens a session. If you do not recognise one, end it and change your password.",
    sessions_caption: "Open sessions, most recently used first",
    device_col: "Device",
    address_col: "Address",
    opened_col: "Opened",
    last_use_col: "Last activity",
    action_col: "Action",
    this_session: "(this session)",
    end_session: "End session",
    end_this_session: "End this session (you will be signed out)",
    unknown_address: "unknown",
    session_ended: "The session has been ended.",
    codes_heading: "Recovery codes",
    codes_intro: "New codes make the ones you have unusable. The new codes are shown only once.",
    codes_submit: "Generate new recovery codes",
    totp_heading: "Authenticator app",
    totp_intro: "New phone? Register Passerelle in a new app. The old one keeps working until the new one is confirmed.",
    totp_submit: "Register a new app",
    factor_label: "Current code of the app, or a recovery code",
    factor_hint: "6 digits, or a recovery code such as abcd-efgh-ijkl-mnop.",
    err_factor_empty: "Enter your app's code or a recovery code.",
    err_factor_wrong: "This code is wrong, expired or already used.",
    notifications_heading: "Notifications",
    notifications_link: "Choose the messages I receive",
    missions_heading: "My missions and roles",
    no_missions: "You take part in no mission.",
    enrol_title: "Register a new authenticator app",
    enrol_intro: "Your old app keeps working until you confirm the new one with a code it shows.",
    enrol_submit: "Confirm the new app",
    enrol_none: "No new app is being registered. Start again from your account.",
    back_link: "Back to my account",
    new_codes_intro: "Your old recovery codes no longer work. Here are the new ones.",
    forgot_link: "Forgot your password?",
    forgot_title: "Forgotten password",
    forgot_intro: "Enter your account's e-mail address. If it matches an active account, you will receive a link to choose a new password. You will also need your authenticator app's code or a recovery code.",
    forgot_email_label: "E-mail address",
    forgot_submit: "Send me a link",
    err_email_empty: "Enter your e-mail address.",
    forgot_sent: "If this address matches an active account, a link has just been sent to it. It is valid for a short time and only once. Check your spam folder too.",
    reset_title: "Choose a new password",
    reset_intro: "Choose a new password, then confirm with your authenticator app's code or a recovery code. All your open sessions will be ended.",
    reset_submit: "Change password",
    reset_expired: "This link is no longer valid: it has expired or was already used. Ask for a new one.",
    reset_done: "Your password has been changed. You may sign in.",
    login_link: "Sign in",
    pk_heading: "Passkeys",
    pk_intro: "A passkey (a USB security key, or a phone or computer unlocked by fingerprint, face or PIN) can replace your authenticator app's code when you sign in. Your app keeps working as a fallback.",
    pk_caption: "Your passkeys",
    pk_none: "You have registered no passkey.",
    pk_name_col: "Name",
    pk_added_col: "Added",
    pk_used_col: "Last used",
    pk_never: "Never",
    pk_remove: "Remove",
    pk_add_heading: "Add a passkey",
    pk_name_label: "Passkey name",
    pk_name_hint: "To tell it apart, e.g. \"Blue USB key\" or \"Office computer\". At most 60 characters.",
    pk_add_submit: "Add a passkey",
    pk_register_title: "Register the passkey",
    pk_register_intro: "Press the button, then follow your browser's instructions: touch the key, or unlock the device by fingerprint, face or PIN. You have five minutes.",
    pk_register_button: "Register the key",
    pk_needs_script: "This step needs JavaScript, which your browser has turned off. Your authenticator app can still be used.",
    pk_browser_failed: "The browser could not use the passkey (cancelled, timed out or unsupported key). Try again.",
    err_pk_name: "Give the passkey a name of 1 to 60 characters.",
    err_pk_not_verified: "The passkey could not be verified. Start again from your account.",
    err_pk_none: "No passkey is being registered, or the time ran out. Start again from your account.",
    pk_added: "The passkey has been added. You can use it next time you sign in.",
    pk_removed: "The passkey has been removed.",
    pk_login_heading: "With a passkey",
    pk_login_intro: "Instead of the code, you may use one of the passkeys registered on your account.",
    pk_login_button: "Use a passkey",
    err_pk_refused: "The passkey was not accepted. Try again, or enter your app's code.",
    pk_totp_remove_heading: "Do without the app",
    pk_totp_remove_intro: "On this service, your passkeys may replace your authenticator app. Once the app is removed, you will sign in with a passkey or a recovery code.",
    pk_totp_remove_submit: "Remove the authenticator app",
    pk_totp_removed: "Your authenticator app has been removed. From now on, sign in with a passkey.",
    err_pk_last: "This is your last passkey and you have no authenticator app any more: register an app first.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_in_plain_words() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(
            Lang::Fr.device(Some(firefox), false),
            "Firefox sous Windows"
        );
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(Lang::En.device(Some(chrome), false), "Chrome on Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(Lang::Fr.device(Some(iphone), false), "Safari sous iPhone");
        assert_eq!(Lang::Fr.device(Some("curl/8.5.0"), true), "Script (curl)");
        assert_eq!(Lang::Fr.device(None, false), "Navigateur non reconnu");
    }

    #[test]
    fn counts_agree() {
        assert_eq!(Lang::Fr.codes_left(1), "Il vous reste 1 code de secours.");
        assert_eq!(Lang::En.codes_left(7), "You have 7 recovery codes left.");
        assert!(Lang::Fr.password_changed(2).contains("2 autres sessions"));
    }
}
