//! Online-guessing defence: counters per account and per client address.
//!
//! Per account, up to 4 failures cost nothing; from the 5th, the next attempt waits a growing
//! delay (1, 2, 4, 8, 16 minutes); the 10th locks for 30 minutes. Per client address the same
//! schedule starts later (`throttle.address_delay_after`, default 20; lock at
//! `throttle.address_lock_after`, default 100), so that one person's typos, or an attacker's,
//! do not lock out everyone behind an office NAT. While a key is blocked every attempt, right
//! or wrong, answers "too many attempts" without the password being examined.
//!
//! An attempt is reserved before the password is examined: one statement counts it as a
//! failure and returns the count (and sets the block the count calls for), and a right answer
//! gives it back. Concurrent attempts therefore cannot outrun the rule, on one instance or on
//! several sharing a database. A run of failures is forgotten an hour after its last failure
//! (the sweeper purges such rows); a complete login clears the account's and the address's counters.

use crate::clock::to_millis;
use crate::config::ThrottleConfig;
use crate::db::auth::{self as store, Reservation, Thresholds};
use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};

/// Failures before delays begin, per account.
pub const DELAY_AFTER: i64 = 5;
/// Failures that lock an account.
pub const LOCK_AFTER: i64 = 10;

/// The counters one attempt is checked against.
#[derive(Debug, Clone)]
pub struct Keys(Vec<(String, Thresholds)>);

impl Keys {
    /// The account's and the address's counters.
    pub fn new(username: &str, ip: &str, config: &ThrottleConfig) -> Keys {
        Keys(vec![
            (
                format!("user:{username}"),
                Thresholds {
                    delay_after: DELAY_AFTER,
                    lock_after: LOCK_AFTER,
                },
            ),
            (
                format!("ip:{ip}"),
                Thresholds {
                    delay_after: i64::from(config.address_delay_after),
                    lock_after: i64::from(config.address_lock_after),
                },
            ),
        ])
    }
}

/// How long a key blocked after `failures` failures stays blocked, in ms.
pub fn block_ms(failures: i64, t: Thresholds) -> i64 {
    if failures >= t.lock_after {
        store::LOCK_MS
    } else if failures >= t.delay_after {
        let steps = (failures - t.delay_after).min(4);
        (store::BASE_DELAY_MS << steps).min(store::MAX_DELAY_MS)
    } else {
        0
    }
}

/// Reserves an attempt on every key: `Ok(())` when it may be examined (it counts as a failure
/// until [`refund`] with the same `now`), `Err(seconds)` while a key is blocked (nothing is
/// counted then).
pub async fn reserve(db: &Db, keys: &Keys, now: DateTime<Utc>) -> Result<Result<(), u64>, DbError> {
    let now = to_millis(now);
    for (i, (key, t)) in keys.0.iter().enumerate() {
        if let Reservation::Blocked(until) = store::reserve(db, key, now, *t).await? {
            for (taken, _) in &keys.0[..i] {
                store::refund(db, taken, now).await?;
            }
            return Ok(Err(((until - now).max(1) as u64).div_ceil(1000)));
        }
    }
    Ok(Ok(()))
}

/// Gives back an attempt reserved at `reserved_at` whose answer was right.
pub async fn refund(db: &Db, keys: &Keys, reserved_at: DateTime<Utc>) -> Result<(), DbError> {
    let reserved_at = to_millis(reserved_at);
    for (key, _) in &keys.0 {
        store::refund(db, key, reserved_at).await?;
    }
    Ok(())
}

/// Forgets the failures of an account and of the address it signed in from, after a complete
/// login (password and second factor): colleagues behind one address are not kept waiting for
/// someone's earlier typos.
pub async fn succeeded(db: &Db, keys: &Keys) -> Result<(), DbError> {
    for (key, _) in &keys.0 {
        store::clear_throttle(db, key).await?;
    }
    Ok(())
}

/// Removes the counters whose run is over (the sweeper calls it).
pub async fn purge(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    store::purge_throttles(db, to_millis(now)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_lock() {
        let account = Thresholds {
            delay_after: DELAY_AFTER,
            lock_after: LOCK_AFTER,
        };
        assert_eq!(block_ms(4, account), 0);
        assert_eq!(block_ms(5, account), 60_000);
        assert_eq!(block_ms(6, account), 120_000);
        assert_eq!(block_ms(9, account), 16 * 60_000);
        assert_eq!(block_ms(10, account), 30 * 60_000);
        assert_eq!(block_ms(25, account), 30 * 60_000);
        let address = Thresholds {
            delay_after: 20,
            lock_after: 100,
        };
        assert_eq!(block_ms(19, address), 0);
        assert_eq!(block_ms(20, address), 60_000);
        assert_eq!(block_ms(60, address), 16 * 60_000);
        assert_eq!(block_ms(100, address), 30 * 60_000);
    }
}
