//! The `passerelle` binary, run as an operator would: start-up refusals, `admin create`,
//! `audit verify`, and a zero-configuration `serve`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn passerelle(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_passerelle"));
    cmd.current_dir(dir).args(args).env("RUST_LOG", "error");
    for key in [
        "PASSERELLE_DATA_DIR",
        "PASSERELLE_LISTEN",
        "PASSERELLE_DATABASE_URL",
        "PASSERELLE_TLS_CERT",
        "PASSERELLE_TLS_KEY",
        "PASSERELLE_CONFIG",
    ] {
        cmd.env_remove(key);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs `serve` expecting it to refuse to start; returns its stderr.
fn refused(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut env = env.to_vec();
    if !env.iter().any(|(k, _)| *k == "PASSERELLE_LISTEN") {
        env.push(("PASSERELLE_LISTEN", "127.0.0.1:0"));
    }
    let out = passerelle(dir, &["serve"], &env);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("backtrace")
            && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
    assert!(stderr.starts_with("passerelle: "), "{stderr}");
    stderr
}

#[test]
fn bad_configurations_stop_start_up_with_one_clear_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    let data = data.to_str().unwrap();

    let msg = refused(
        dir,
        &[
            ("PASSERELLE_DATA_DIR", data),
            ("PASSERELLE_TLS_CERT", "/nonexistent/cert.pem"),
            ("PASSERELLE_TLS_KEY", "/nonexistent/key.pem"),
        ],
    );
    assert!(
        msg.contains("PASSERELLE_TLS_CERT") && msg.contains("/nonexistent/cert.pem"),
        "{msg}"
    );

    // A key file readable by others.
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.key_pair.serialize_pem()).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let msg = refused(
        dir,
        &[
            ("PASSERELLE_DATA_DIR", data),
            ("PASSERELLE_TLS_CERT", cert.to_str().unwrap()),
            ("PASSERELLE_TLS_KEY", key.to_str().unwrap()),
        ],
    );
    assert!(
        msg.contains("PASSERELLE_TLS_KEY") && msg.contains("chmod 600"),
        "{msg}"
    );

    let msg = refused(
        dir,
        &[
            ("PASSERELLE_DATA_DIR", data),
            ("PASSERELLE_DATABASE_URL", "mysql://root@localhost/p"),
        ],
    );
    assert!(
        msg.contains("PASSERELLE_DATABASE_URL") && msg.contains("mysql"),
        "{msg}"
    );

    // A data directory that cannot be created (its parent is a file).
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let msg = refused(
        dir,
        &[("PASSERELLE_DATA_DIR", file.join("data").to_str().unwrap())],
    );
    assert!(
        msg.contains("PASSERELLE_DATA_DIR") && msg.contains("not writable"),
        "{msg}"
    );

    let msg = refused(
        dir,
        &[
            ("PASSERELLE_DATA_DIR", data),
            ("PASSERELLE_LISTEN", "nowhere"),
        ],
    );
    assert!(msg.contains("PASSERELLE_LISTEN"), "{msg}");

    // A configuration file with a mistyped setting.
    std::fs::write(
        dir.join("passerelle.toml"),
        "data_dir = \"data\"\nsweep_intervall_secs = 5\n",
    )
    .unwrap();
    let msg = refused(dir, &[]);
    assert!(msg.contains("sweep_intervall_secs"), "{msg}");
    std::fs::remove_file(dir.join("passerelle.toml")).unwrap();

    // An EEA residency violation.
    std::fs::write(dir.join("passerelle.toml"), "[storage]\ncountry = \"US\"\n").unwrap();
    let fresh = dir.join("fresh");
    let msg = refused(dir, &[("PASSERELLE_DATA_DIR", fresh.to_str().unwrap())]);
    assert!(msg.contains("US") && msg.contains("EEA"), "{msg}");
    assert!(
        !fresh.join("master.key").exists(),
        "nothing is created before the residency check"
    );
}

#[test]
fn admin_create_then_audit_verify_and_tamper_detection() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = passerelle(
        dir,
        &[
            "admin",
            "create",
            "--username",
            "Operateur",
            "--display-name",
            "Opérateur",
            "--email",
            "ops@exemple.fr",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["username"], "operateur");
    assert!(v["initial_password"].as_str().unwrap().len() >= 16);
    assert!(
        dir.join("data/passerelle.db").exists(),
        "zero configuration keeps everything under ./data"
    );

    // The same name twice is refused with a sentence, not a panic.
    let out = passerelle(
        dir,
        &[
            "admin",
            "create",
            "--username",
            "operateur",
            "--display-name",
            "X",
            "--email",
            "x@exemple.fr",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));

    let out = passerelle(dir, &["audit", "verify"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));

    // Tamper with the stored trail behind the gateway's back.
    let db = dir.join("data/passerelle.db");
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE audit_events SET action = 'user.disable' WHERE seq = 1;")
        .status();
    let tampered = match status {
        Ok(s) if s.success() => true,
        _ => {
            // No sqlite3 shell: edit through sqlx instead.
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                use sqlx::Executor as _;
                sqlx::any::install_default_drivers();
                let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
                    "sqlite://{}",
                    db.display()
                ))
                .await
                .unwrap();
                c.execute("UPDATE audit_events SET action = 'user.disable' WHERE seq = 1")
                    .await
                    .unwrap();
            });
            true
        }
    };
    assert!(tampered);
    let out = passerelle(dir, &["audit", "verify"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("entry 1") && stderr.contains("modified"),
        "{stderr}"
    );
}

#[test]
fn serve_with_zero_configuration_listens_over_https() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Port 0 is not allowed by the contract's default, so pick a free port first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .current_dir(dir)
        .arg("serve")
        .env("PASSERELLE_LISTEN", &listen)
        .env_remove("PASSERELLE_DATA_DIR")
        .env_remove("PASSERELLE_DATABASE_URL")
        .spawn()
        .unwrap();
    let cert = dir.join("data/tls/cert.pem");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        for _ in 0..100 {
            if cert.exists() {
                if let Ok(pem) = std::fs::read(&cert) {
                    if let Ok(root) = reqwest::Certificate::from_pem(&pem) {
                        let client = reqwest::Client::builder()
                            .add_root_certificate(root)
                            .tls_built_in_root_certs(false)
                            .resolve("localhost", listen.parse().unwrap())
                            .build()
                            .unwrap();
                        if let Ok(r) = client
                            .get(format!("https://localhost:{port}/healthz"))
                            .send()
                            .await
                        {
                            return Some((r.status().as_u16(), r.text().await.unwrap_or_default()));
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, Some((200, "ok".to_owned())));
    for path in [
        "data/passerelle.db",
        "data/master.key",
        "data/tls/key.pem",
        "data/blobs",
    ] {
        assert!(dir.join(path).exists(), "{path}");
    }
    // The mission keys live, wrapped, in the database: no key folder beside it.
    assert!(!dir.join("data/keys").exists(), "data/keys");
    use std::os::unix::fs::PermissionsExt as _;
    for secret in ["data/master.key", "data/tls/key.pem"] {
        let mode = std::fs::metadata(dir.join(secret))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{secret} is private");
    }
}

#[test]
fn certificate_verify_checks_the_signature_offline() {
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let signer = gateway::service::certificate::Signer::from_seed(&[42u8; 32]);
    let public = base64::engine::general_purpose::STANDARD.encode(signer.public().as_bytes());
    let payload = serde_json::json!({
        "type": "passerelle-destruction-certificate",
        "mission": {"name": "Étude OPS 2027"},
        "files": [{"name": "ops.csv", "size": 1234, "sha256": "ab"}],
        "instance": {"name": "test", "key_id": signer.key_id(), "public_key": public},
    });
    let cert = signer.sign(payload).unwrap();
    let good = dir.join("certificat.json");
    std::fs::write(&good, serde_json::to_vec_pretty(&cert).unwrap()).unwrap();
    let out = passerelle(dir, &["certificate", "verify", good.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("certificate valid"));
    // Pinning the published key works; another key does not.
    std::fs::write(
        dir.join("key.json"),
        serde_json::to_vec(&signer.public_document()).unwrap(),
    )
    .unwrap();
    let out = passerelle(
        dir,
        &[
            "certificate",
            "verify",
            good.to_str().unwrap(),
            "--public-key",
            dir.join("key.json").to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let other = gateway::service::certificate::Signer::from_seed(&[1u8; 32]);
    let other_b64 = base64::engine::general_purpose::STANDARD.encode(other.public().as_bytes());
    let out = passerelle(
        dir,
        &[
            "certificate",
            "verify",
            good.to_str().unwrap(),
            "--public-key",
            &other_b64,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    // One byte changed anywhere in the payload: refused.
    let text = std::fs::read_to_string(&good)
        .unwrap()
        .replace("1234", "1235");
    let bad = dir.join("altere.json");
    std::fs::write(&bad, text).unwrap();
    let out = passerelle(dir, &["certificate", "verify", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT valid"));
}

/// A backup failure has its own exit code (3); 2 stays for a refused configuration.
#[test]
fn backup_failures_exit_with_their_own_code() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("plein")).unwrap();
    std::fs::write(dir.join("plein/deja-la.txt"), b"x").unwrap();
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let out = passerelle(dir, &["backup", "plein"], &[("PASSERELLE_DATA_DIR", data)]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already exists and is not empty: choose a new folder"),
        "{stderr}"
    );

    let out = passerelle(
        dir,
        &["restore", "--backup", "plein", "--keys", "absent.json"],
        &[("PASSERELLE_DATA_DIR", data)],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be read"));

    let out = passerelle(dir, &["--help"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 a backup, key export or restore failed")
    );
}
