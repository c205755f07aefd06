//! Accounts: the platform admin the CLI creates, organisations and users created through the API,
//! and the logins that turn them into bearer tokens (password, password change, TOTP).

use crate::app::TestApp;
use crate::responses::body;
use gateway::clock::ManualClock;
use serde_json::{json, Value};

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Account {
    /// User id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Current password.
    pub password: String,
    /// Raw TOTP secret.
    pub totp_secret: Vec<u8>,
    /// Bearer token.
    pub token: String,
    /// Recovery codes from enrollment.
    pub recovery_codes: Vec<String>,
}

/// The raw secret inside an `otpauth://` URI.
pub fn secret_from_uri(uri: &str) -> Vec<u8> {
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap()
}

/// Seconds since the epoch of a manual clock.
pub trait NowTs {
    /// The clock's Unix time in seconds.
    fn now_ts(&self) -> i64;
}

impl NowTs for ManualClock {
    fn now_ts(&self) -> i64 {
        use gateway::clock::Clock as _;
        self.now().timestamp()
    }
}

impl TestApp {
    /// The TOTP code at the clock's current time.
    pub fn code(&self, secret: &[u8]) -> String {
        gateway::service::totp::code_at(secret, self.clock.now_ts()).unwrap()
    }

    /// Moves the clock past the current TOTP step (each step is accepted once).
    pub fn next_step(&self) {
        self.clock.advance(chrono::Duration::seconds(30));
    }

    /// Creates a platform admin (as the CLI does) and completes its first login.
    pub async fn admin(&self, username: &str) -> Account {
        let created = self
            .core
            .bootstrap_admin(username, "Admin Test", &format!("{username}@operateur.fr"))
            .await
            .unwrap();
        self.first_login(&created.id, username, &created.initial_password)
            .await
    }

    /// Creates an organisation through the API.
    pub async fn organisation(&self, admin: &Account, name: &str, kind: &str) -> String {
        let r = self
            .post_as(
                &admin.token,
                "/api/v1/organisations",
                json!({"name": name, "kind": kind}),
            )
            .await;
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a user through the API and returns `(id, initial_password)`.
    pub async fn create_user(
        &self,
        admin: &Account,
        username: &str,
        org: &str,
    ) -> (String, String) {
        let r = self
            .post_as(
                &admin.token,
                "/api/v1/users",
                json!({"username": username, "display_name": format!("{username} Test"),
                       "email": format!("{username}@example.fr"), "organisation_id": org}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        (
            v["id"].as_str().unwrap().to_owned(),
            v["initial_password"].as_str().unwrap().to_owned(),
        )
    }

    /// Creates a user and completes its first login.
    pub async fn user(&self, admin: &Account, username: &str, org: &str) -> Account {
        let (id, pw) = self.create_user(admin, username, org).await;
        self.first_login(&id, username, &pw).await
    }

    /// Creates a user with a chosen display name and completes its first login.
    pub async fn user_named(
        &self,
        admin: &Account,
        username: &str,
        display_name: &str,
        org: &str,
    ) -> Account {
        let r = self
            .post_as(
                &admin.token,
                "/api/v1/users",
                json!({"username": username, "display_name": display_name,
                       "email": format!("{username}@example.fr"), "organisation_id": org}),
            )
            .await;
        let status = r.status();
        let v = body(r).await;
        assert_eq!(status, 201, "{v}");
        self.first_login(
            v["id"].as_str().unwrap(),
            username,
            v["initial_password"].as_str().unwrap(),
        )
        .await
    }

    /// Password, password change, TOTP enrollment: the whole first login.
    pub async fn first_login(&self, id: &str, username: &str, initial: &str) -> Account {
        let r = self
            .post(
                "/api/v1/auth/login",
                json!({"username": username, "password": initial}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["step"], "change_password");
        let password = "trois girafes traversent la rue 4812".to_owned();
        let r = self
            .post(
                "/api/v1/auth/password",
                json!({"challenge": v["challenge"], "new_password": password}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["step"], "enroll_totp");
        let secret = secret_from_uri(v["otpauth_uri"].as_str().unwrap());
        let r = self
            .post(
                "/api/v1/auth/totp",
                json!({"challenge": v["challenge"], "code": self.code(&secret)}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        self.next_step();
        Account {
            id: id.to_owned(),
            username: username.to_owned(),
            password,
            totp_secret: secret,
            token: v["token"].as_str().unwrap().to_owned(),
            recovery_codes: serde_json::from_value(v["recovery_codes"].clone()).unwrap(),
        }
    }

    /// A later login: password then TOTP; returns the new bearer token.
    pub async fn login(&self, account: &Account) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                json!({"username": account.username, "password": account.password}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["step"], "totp");
        let r = self
            .post(
                "/api/v1/auth/totp",
                json!({"challenge": v["challenge"], "code": self.code(&account.totp_secret)}),
            )
            .await;
        assert_eq!(r.status(), 200);
        self.next_step();
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}
