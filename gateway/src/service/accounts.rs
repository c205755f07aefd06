//! Organisations and personal accounts, administered by platform admins.

use super::audit::{Event, Outcome};
use super::{new_id, passwords::generate_password, Actor, Core, Error, Result, Text};
use crate::clock::to_millis;
use crate::db::orgs;
use crate::db::users::{self, NewUser};
use crate::domain::{AuditAction, Organisation, OrganisationKind, User};

/// The kinds of organisation.
pub const ORG_KINDS: &[OrganisationKind] = OrganisationKind::ALL;

/// A new account and its one-time password.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    /// The account id.
    pub id: String,
    /// The password to hand over; it must be changed at first login.
    pub initial_password: String,
}

/// What a new account needs.
#[derive(Debug, Clone)]
pub struct UserSpec {
    /// Login name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Professional e-mail.
    pub email: String,
    /// Organisation id.
    pub organisation_id: String,
    /// Platform administrator or not.
    pub platform_admin: bool,
}

fn invalid(fr: &str, en: &str) -> Error {
    Error::InvalidRequest(Text::new(fr, en))
}

/// Checks and normalises a login name: 3 to 64 characters among letters, digits and `.-_@`.
pub fn normalise_username(raw: &str) -> Result<String> {
    let u = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&u.chars().count())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(u)
    } else {
        Err(invalid(
            "L'identifiant doit compter de 3 à 64 caractères : lettres sans accent, chiffres, point, tiret, tiret bas ou @.",
            "The username must be 3 to 64 characters: unaccented letters, digits, dot, dash, underscore or @.",
        ))
    }
}

pub(super) fn check_text(value: &str, max: usize, fr: &str, en: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(fr, en));
    }
    Ok(v.to_owned())
}

/// Checks and normalises a professional e-mail address (lowercase, one `@`, a dotted domain).
pub fn check_email(raw: &str) -> Result<String> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(invalid(
            "L'adresse électronique n'est pas valide.",
            "The e-mail address is not valid.",
        ))
    }
}

impl Core {
    /// Refuses anyone but a platform administrator.
    pub(super) fn require_admin(actor: &Actor) -> Result<()> {
        if actor.platform_admin {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Creates an organisation.
    pub async fn create_organisation(
        &self,
        actor: &Actor,
        name: &str,
        kind: &str,
    ) -> Result<String> {
        Self::require_admin(actor)?;
        let name = check_text(
            name,
            200,
            "Le nom de l'organisme est obligatoire (200 caractères au plus).",
            "The organisation name is required (200 characters at most).",
        )?;
        let Some(kind) = OrganisationKind::parse(kind) else {
            return Err(invalid(
                "Type d'organisme inconnu.",
                "Unknown organisation kind.",
            ));
        };
        let id = new_id();
        if !orgs::insert(&self.db, &id, &name, kind, to_millis(self.clock.now())).await? {
            return Err(Error::Conflict(Text::new(
                "Un organisme porte déjà ce nom.",
                "An organisation already has this name.",
            )));
        }
        self.audit
            .record(
                Event::new(AuditAction::OrganisationCreate, Some(actor))
                    .target(id.clone())
                    .detail(serde_json::json!({ "kind": kind })),
                Outcome::Success,
            )
            .await?;
        Ok(id)
    }

    /// Every organisation.
    pub async fn list_organisations(&self, actor: &Actor) -> Result<Vec<Organisation>> {
        Self::require_admin(actor)?;
        Ok(orgs::list(&self.db).await?)
    }

    /// One organisation, for any authenticated user (their own) or an admin (any).
    pub async fn organisation(&self, id: &str) -> Result<Organisation> {
        orgs::get(&self.db, id).await?.ok_or(Error::NotFound)
    }

    /// A user's display name, to say who uploaded a file the caller may see; `None` for an
    /// unknown id.
    pub async fn display_name(&self, id: &str) -> Result<Option<String>> {
        Ok(users::get(&self.db, id).await?.map(|u| u.display_name))
    }

    async fn insert_user(&self, spec: &UserSpec) -> Result<CreatedUser> {
        let username = normalise_username(&spec.username)?;
        let display_name = check_text(
            &spec.display_name,
            200,
            "Le nom affiché est obligatoire (200 caractères au plus).",
            "The display name is required (200 characters at most).",
        )?;
        let email = check_email(&spec.email)?;
        if orgs::get(&self.db, &spec.organisation_id).await?.is_none() {
            return Err(invalid(
                "Cet organisme n'existe pas.",
                "This organisation does not exist.",
            ));
        }
        let initial_password = generate_password();
        let hash = self.passwords.hash(&initial_password).await?;
        let id = new_id();
        let inserted = users::insert(
            &self.db,
            &NewUser {
                id: &id,
                username: &username,
                display_name: &display_name,
                email: &email,
                organisation_id: &spec.organisation_id,
                platform_admin: spec.platform_admin,
                password_hash: &hash,
            },
            to_millis(self.clock.now()),
        )
        .await?;
        if !inserted {
            return Err(Error::Conflict(Text::new(
                "Cet identifiant est déjà pris.",
                "This username is already taken.",
            )));
        }
        Ok(CreatedUser {
            id,
            initial_password,
        })
    }

    /// Creates a personal account with a one-time password.
    pub async fn create_user(&self, actor: &Actor, spec: &UserSpec) -> Result<CreatedUser> {
        Self::require_admin(actor)?;
        let created = self.insert_user(spec).await?;
        self.audit
            .record(
                Event::new(AuditAction::UserCreate, Some(actor))
                    .target(created.id.clone())
                    .detail(serde_json::json!({ "platform_admin": spec.platform_admin, "organisation_id": spec.organisation_id })),
                Outcome::Success,
            )
            .await?;
        Ok(created)
    }

    /// Creates a platform admin from the command line (no acting user), with the operator's organisation.
    pub async fn bootstrap_admin(
        &self,
        username: &str,
        display_name: &str,
        email: &str,
    ) -> Result<CreatedUser> {
        const OPERATOR: &str = "Opérateur de la plateforme";
        let org_id = match orgs::by_name(&self.db, OPERATOR).await? {
            Some(o) => o.id,
            None => {
                let id = new_id();
                orgs::insert(
                    &self.db,
                    &id,
                    OPERATOR,
                    OrganisationKind::Other,
                    to_millis(self.clock.now()),
                )
                .await?;
                orgs::by_name(&self.db, OPERATOR)
                    .await?
                    .map(|o| o.id)
                    .unwrap_or(id)
            }
        };
        let created = self
            .insert_user(&UserSpec {
                username: username.to_owned(),
                display_name: display_name.to_owned(),
                email: email.to_owned(),
                organisation_id: org_id,
                platform_admin: true,
            })
            .await?;
        self.audit
            .record(
                Event::new(AuditAction::UserCreate, None)
                    .target(created.id.clone())
                    .detail(serde_json::json!({ "platform_admin": true, "via": "command line" })),
                Outcome::Success,
            )
            .await?;
        Ok(created)
    }

    /// Every account.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<User>> {
        Self::require_admin(actor)?;
        Ok(users::list(&self.db).await?)
    }

    /// One account, as the user sees itself.
    pub async fn me(&self, actor: &Actor) -> Result<(User, Organisation)> {
        let user = users::get(&self.db, &actor.user_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let org = self.organisation(&user.organisation_id).await?;
        Ok((user, org))
    }

    /// Disables an account; its sessions end at once.
    pub async fn disable_user(&self, actor: &Actor, id: &str) -> Result<()> {
        Self::require_admin(actor)?;
        if !users::disable(&self.db, id).await? {
            return Err(Error::NotFound);
        }
        // A disabled account's invitation dies with it (enabling it again does not revive it).
        crate::db::mail_tokens::revoke(
            &self.db,
            id,
            super::mail_tokens::Purpose::Invitation.as_str(),
        )
        .await?;
        self.audit
            .record(
                Event::new(AuditAction::UserDisable, Some(actor)).target(id),
                Outcome::Success,
            )
            .await?;
        Ok(())
    }

    /// Resets an account: new one-time password, new TOTP enrollment, sessions ended.
    pub async fn reset_user(&self, actor: &Actor, id: &str) -> Result<String> {
        Self::require_admin(actor)?;
        if users::get(&self.db, id).await?.is_none() {
            return Err(Error::NotFound);
        }
        let initial_password = generate_password();
        let hash = self.passwords.hash(&initial_password).await?;
        users::reset(&self.db, id, &hash, to_millis(self.clock.now())).await?;
        // Every link of the account dies with its old credentials (an old invitation would
        // otherwise work again, the account being invitable once more).
        crate::db::mail_tokens::revoke_all(&self.db, id).await?;
        self.audit
            .record(
                Event::new(AuditAction::UserReset, Some(actor)).target(id),
                Outcome::Success,
            )
            .await?;
        Ok(initial_password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_bounded() {
        assert_eq!(
            normalise_username("  Marie.Dupont ").unwrap(),
            "marie.dupont"
        );
        assert!(normalise_username("ab").is_err());
        assert!(normalise_username("élodie").is_err());
        assert!(normalise_username("a b c").is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            check_email("Marie@Bailleur.FR").unwrap(),
            "marie@bailleur.fr"
        );
        assert!(check_email("marie").is_err());
        assert!(check_email("marie@localhost").is_err());
        assert!(check_email("a b@c.fr").is_err());
    }
}
