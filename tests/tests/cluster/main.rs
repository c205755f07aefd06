//! Two gateway instances on one PostgreSQL database and one S3 server, behind Debian's haproxy:
//! the topology `deploy/cluster.sh` starts, started here by that very script, and driven through
//! haproxy (and through each instance's own port where a step must choose its instance).
//!
//! Needs PostgreSQL (`PASSERELLE_TEST_POSTGRES_URL`, a URL allowed to create databases); skipped
//! with a message without it. Needs `weed` (SeaweedFS), `haproxy`, `openssl`, `psql` and `curl`:
//! skipped with a message when one is missing, unless `CI` or `PASSERELLE_TEST_S3=1` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod crash;
mod exchange;
mod topology;

use topology::{on_path, Cluster};

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("PASSERELLE_TEST_S3").is_ok_and(|v| v == "1")
}

/// One cluster for every scenario (starting it costs seconds): they run in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_haproxy() {
    let pg = match std::env::var("PASSERELLE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("\n*** CLUSTER TEST SKIPPED: PASSERELLE_TEST_POSTGRES_URL is not set ***\n");
            return;
        }
    };
    let weed_set = std::env::var_os("PASSERELLE_WEED").is_some();
    let missing: Vec<&str> = ["weed", "haproxy", "openssl", "psql", "curl", "python3"]
        .into_iter()
        .filter(|p| !(on_path(p) || (*p == "weed" && weed_set)))
        .collect();
    if !missing.is_empty() {
        assert!(
            !required(),
            "the cluster test needs {missing:?} on the PATH (.ci/run installs them)"
        );
        eprintln!("\n*** CLUSTER TEST SKIPPED: {missing:?} not on the PATH ***\n");
        return;
    }
    let c = Cluster::start(&pg).await;
    exchange::haproxy_spreads_requests(&c).await;
    let admin = exchange::sessions_and_totp_are_shared(&c).await;
    exchange::throttling_counts_across_instances(&c, &admin).await;
    let world = exchange::the_whole_exchange(&c, admin).await;
    let second = crash::second_mission(&c, &world).await;
    exchange::expiry_destroys_once_with_both_sweepers(&c, &world).await;
    crash::upload_cut_by_a_crash(&c, &world, &second).await;
    crash::destruction_cut_by_a_crash(&c, &world, &second).await;
}
