//! Limits per caller at the edge: a token bucket per authenticated principal, and one per
//! client address for requests without a valid token, so that one caller cannot take the
//! service from the others. A refused request is answered `429` with `Retry-After` before
//! any work is done for it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones are forgotten (a full bucket is the same as none).
const KEPT: usize = 10_000;

/// Token buckets by key: `per_minute` requests a minute, up to `burst` at once.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// A limiter of `per_minute` requests a minute per key with bursts of `burst`; `None`
    /// when `per_minute` is 0 (no limit).
    pub fn new(per_minute: u32, burst: u32) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        })
    }

    /// Take one request from `key`'s bucket, or say how long until one is there.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= KEPT && !buckets.contains_key(key) {
            buckets.retain(|_, b| self.filled(*b, now) < self.burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let tokens = self.filled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }

    /// The bucket's tokens at `now`.
    fn filled(&self, bucket: Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed * self.per_second).min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(60, 3).unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", start).is_ok());
        }
        let wait = limiter.check_at("a", start).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another caller has their own bucket.
        assert!(limiter.check_at("b", start).is_ok());
        // One a second refills.
        assert!(
            limiter
                .check_at("a", start + Duration::from_secs(1))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("a", start + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn zero_is_no_limit() {
        assert!(RateLimiter::new(0, 10).is_none());
    }

    #[test]
    fn forgotten_buckets_are_only_full_ones() {
        let limiter = RateLimiter::new(60, 2).unwrap();
        let start = Instant::now();
        for i in 0..KEPT {
            limiter.check_at(&format!("k{i}"), start).unwrap();
        }
        limiter.check_at("k0", start).unwrap();
        assert!(limiter.check_at("k0", start).is_err());
        // A new key when the map is full forgets only buckets that are full again.
        limiter
            .check_at("new", start + Duration::from_secs(1))
            .unwrap();
        assert!(
            limiter
                .check_at("k0", start + Duration::from_secs(1))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("k0", start + Duration::from_secs(1))
                .is_err()
        );
    }
}
