//! Online-guessing defence: counters per account and per source address.
//!
//! Up to 4 failures cost nothing; from the 5th, the next attempt waits a growing delay (1, 2, 4,
//! 8, 16 minutes); the 10th locks for 30 minutes. While a key is blocked every attempt, right or
//! wrong, answers "too many attempts" without the password being examined. A run of failures is
//! forgotten an hour after its last failure; a complete login clears the account's and the address's counters.

use crate::clock::to_millis;
use crate::db::auth::{self as store, ThrottleRow};
use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};

/// Failures before delays begin.
pub const DELAY_AFTER: i64 = 5;
/// Failures that lock.
pub const LOCK_AFTER: i64 = 10;
const BASE_DELAY_MS: i64 = 60_000;
const LOCK_MS: i64 = 30 * 60_000;
const FORGET_AFTER_MS: i64 = 60 * 60_000;

/// The throttling keys of one attempt.
pub fn keys(username: &str, ip: &str) -> Vec<String> {
    vec![format!("user:{username}"), format!("ip:{ip}")]
}

/// How long a key blocked after `failures` failures stays blocked, in ms.
pub fn block_ms(failures: i64) -> i64 {
    if failures >= LOCK_AFTER {
        LOCK_MS
    } else if failures >= DELAY_AFTER {
        BASE_DELAY_MS << (failures - DELAY_AFTER)
    } else {
        0
    }
}

/// `Some(seconds)` while any of `keys` is blocked.
pub async fn blocked(db: &Db, keys: &[String], now: DateTime<Utc>) -> Result<Option<u64>, DbError> {
    let now = to_millis(now);
    let until = store::throttles(db, keys)
        .await?
        .iter()
        .map(|t| t.blocked_until)
        .max()
        .unwrap_or(0);
    Ok((until > now).then(|| ((until - now) as u64).div_ceil(1000)))
}

/// Counts a failure against each key.
pub async fn failed(db: &Db, keys: &[String], now: DateTime<Utc>) -> Result<(), DbError> {
    let now = to_millis(now);
    let existing = store::throttles(db, keys).await?;
    for key in keys {
        let previous = existing
            .iter()
            .find(|t| &t.key == key)
            .filter(|t| now - t.last_failure_at < FORGET_AFTER_MS || t.blocked_until > now);
        let failures = previous.map_or(0, |t| t.failures) + 1;
        store::put_throttle(
            db,
            &ThrottleRow {
                key: key.clone(),
                failures,
                last_failure_at: now,
                blocked_until: now + block_ms(failures),
            },
        )
        .await?;
    }
    Ok(())
}

/// Forgets the failures of an account and of the address it signed in from, after a complete
/// login (password and second factor): colleagues behind one address are not kept waiting for
/// someone's earlier typos.
pub async fn succeeded(db: &Db, keys: &[String]) -> Result<(), DbError> {
    for key in keys {
        store::clear_throttle(db, key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_lock() {
        assert_eq!(block_ms(4), 0);
        assert_eq!(block_ms(5), 60_000);
        assert_eq!(block_ms(6), 120_000);
        assert_eq!(block_ms(9), 16 * 60_000);
        assert_eq!(block_ms(10), 30 * 60_000);
        assert_eq!(block_ms(25), 30 * 60_000);
    }
}
