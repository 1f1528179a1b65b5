//! Webhooks out of the outbox, pure: a tenant's endpoints (a plain `http://` URL and a
//! secret), the signature of a delivery (HMAC-SHA256 over `"{timestamp}.{body}"`), and each
//! delivery's state machine: retried with exponential backoff and a jitter drawn from a seed,
//! capped, and dead after the policy's last attempt. A delivery counts as delivered only after
//! a 2xx answer. The store keeps every attempt ([`crate::store::webhooks`]); the HTTP sender
//! is I/O and lives in the service.
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};
use crate::ids::EndpointId;

/// The header carrying the signature: `t={unix seconds},v1={hex HMAC-SHA256}`.
pub const SIGNATURE_HEADER: &str = "x-milkrun-signature";
/// The header carrying the message's dedupe key, for receivers that dedupe (delivery is
/// at-least-once: a crash between a 2xx and its record sends the message again).
pub const DELIVERY_HEADER: &str = "x-milkrun-delivery";
/// The most bytes of an endpoint URL.
pub const MAX_URL_BYTES: usize = 2_000;
/// The most retries a policy may allow.
pub const MAX_ATTEMPTS: u32 = 50;
/// The longest delay between attempts, in seconds (one day).
pub const MAX_DELAY_S: u32 = 86_400;

/// An endpoint's address: `http://host[:port][/path]`. Only plain HTTP: the tree has no TLS
/// client, so an `https://` URL is refused (put a TLS-terminating proxy in front).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
    port: u16,
    path: String,
}

impl WebhookUrl {
    /// A checked URL.
    pub fn parse(url: &str) -> Result<WebhookUrl, DairyError> {
        const FIELD: &str = "webhook.url";
        if url.len() > MAX_URL_BYTES || !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                FIELD,
                format!("must be 1 to {MAX_URL_BYTES} printable ASCII characters"),
            ));
        }
        if url.starts_with("https://") {
            return Err(invalid(
                FIELD,
                "https is not supported: the sender has no TLS client; use http:// behind a \
                 TLS-terminating proxy",
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| invalid(FIELD, "must start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(invalid(FIELD, "must not carry credentials"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| invalid(FIELD, "has a port that is not 1..=65535"))?,
            ),
            None => (authority, 80),
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !host_ok {
            return Err(invalid(FIELD, "needs a host name or an IPv4 address"));
        }
        Ok(WebhookUrl {
            url: url.to_owned(),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (80 when the URL names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path and query, at least `/`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// A shared secret: 16 to 256 printable ASCII characters.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// A checked secret.
    pub fn new(secret: &str) -> Result<WebhookSecret, DairyError> {
        if !(16..=256).contains(&secret.len()) || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "webhook.secret",
                "must be 16 to 256 printable ASCII characters",
            ));
        }
        Ok(WebhookSecret(secret.to_owned()))
    }

    /// The secret's text (for the store).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// A tenant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Its id within the tenant.
    pub id: EndpointId,
    /// Where messages are posted.
    pub url: WebhookUrl,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// Whether new messages go to it.
    pub active: bool,
}

/// The lowercase hex HMAC-SHA256 of `"{timestamp_s}.{body}"` under `secret`.
pub fn signature(secret: &WebhookSecret, timestamp_s: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; the secret is never empty.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()) else {
        unreachable!("HMAC-SHA256 takes keys of any length")
    };
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The value of [`SIGNATURE_HEADER`]: `t={timestamp_s},v1={signature}`.
pub fn signature_header(secret: &WebhookSecret, timestamp_s: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp_s},v1={}",
        signature(secret, timestamp_s, body)
    )
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt before jitter, in seconds (at least 1).
    pub base_s: u32,
    /// The longest delay before jitter (`base_s..=`[`MAX_DELAY_S`]).
    pub cap_s: u32,
    /// The delivery is dead after this many failed attempts (1..=[`MAX_ATTEMPTS`]).
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// A checked policy.
    pub fn new(base_s: u32, cap_s: u32, max_attempts: u32) -> Result<RetryPolicy, DairyError> {
        if base_s == 0 || cap_s < base_s || cap_s > MAX_DELAY_S {
            return Err(invalid(
                "webhook.retry",
                format!("needs 1 <= base_s <= cap_s <= {MAX_DELAY_S}"),
            ));
        }
        if !(1..=MAX_ATTEMPTS).contains(&max_attempts) {
            return Err(invalid(
                "webhook.max_attempts",
                format!("must be 1..={MAX_ATTEMPTS}"),
            ));
        }
        Ok(RetryPolicy {
            base_s,
            cap_s,
            max_attempts,
        })
    }

    /// The delay after failed attempt `attempt` (1 for the first): `d = min(cap, base ·
    /// 2^(attempt-1))`, then a jitter drawn from `seed`, the key and the attempt puts it in
    /// `d/2 ..= d` ("equal jitter"), so that retries of many messages spread out while each
    /// one's schedule is reproducible.
    pub fn delay_s(self, seed: u64, key: &DedupeKey, attempt: u32) -> i64 {
        let shift = attempt.saturating_sub(1).min(31);
        let d = u64::from(self.base_s)
            .saturating_mul(1u64 << shift)
            .min(u64::from(self.cap_s));
        let half = d / 2;
        let draw = mix(seed, key.as_str().as_bytes(), attempt) % (d - half + 1);
        // d <= MAX_DELAY_S, far inside i64.
        (half + draw) as i64
    }
}

/// A 64-bit hash of (seed, bytes, attempt): FNV-1a over the bytes, then a SplitMix64-style
/// finaliser; uniform enough for a jitter.
fn mix(seed: u64, bytes: &[u8], attempt: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h ^ u64::from(attempt).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The endpoint answered with this HTTP status.
    Status(u16),
    /// No answer: connection refused, timeout, a malformed response (the error in words).
    Transport(String),
}

impl AttemptResult {
    /// Whether the endpoint took the message (a 2xx status).
    pub fn is_success(&self) -> bool {
        matches!(self, AttemptResult::Status(s) if (200..300).contains(s))
    }
}

/// Where one delivery (one message to one endpoint) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not delivered yet: `attempts` made, the next one due at `next_attempt_s`.
    Pending {
        /// Attempts made so far.
        attempts: u32,
        /// When the next attempt is due (UNIX seconds).
        next_attempt_s: i64,
    },
    /// The endpoint answered 2xx.
    Delivered {
        /// Attempts it took.
        attempts: u32,
        /// When (UNIX seconds).
        at_s: i64,
    },
    /// Every attempt the policy allows failed; kept for inspection, never retried.
    Dead {
        /// Attempts made.
        attempts: u32,
    },
}

impl DeliveryState {
    /// The stored name: `pending`, `delivered` or `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending { .. } => "pending",
            DeliveryState::Delivered { .. } => "delivered",
            DeliveryState::Dead { .. } => "dead",
        }
    }

    /// Attempts made so far.
    pub fn attempts(self) -> u32 {
        match self {
            DeliveryState::Pending { attempts, .. }
            | DeliveryState::Delivered { attempts, .. }
            | DeliveryState::Dead { attempts } => attempts,
        }
    }

    /// The state after one more attempt at `now_s` that got `result`. A delivered or dead
    /// delivery does not change (a late, replayed result is ignored).
    pub fn after_attempt(
        self,
        result: &AttemptResult,
        now_s: i64,
        policy: RetryPolicy,
        seed: u64,
        key: &DedupeKey,
    ) -> DeliveryState {
        let DeliveryState::Pending { attempts, .. } = self else {
            return self;
        };
        let attempts = attempts.saturating_add(1);
        if result.is_success() {
            DeliveryState::Delivered {
                attempts,
                at_s: now_s,
            }
        } else if attempts >= policy.max_attempts {
            DeliveryState::Dead { attempts }
        } else {
            DeliveryState::Pending {
                attempts,
                next_attempt_s: now_s.saturating_add(policy.delay_s(seed, key, attempts)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The signature is HMAC-SHA256 over `t.body`, checked against a MAC computed here over
    /// the joined bytes; a changed body or timestamp changes it.
    #[test]
    fn signatures_cover_timestamp_and_body() -> TestResult {
        let secret = WebhookSecret::new("whsec_0123456789abcdef")?;
        let sig = signature(&secret, 1_700_000_000, b"{\"a\":1}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_0123456789abcdef")?;
        mac.update(b"1700000000.{\"a\":1}");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sig, expected);
        assert_eq!(sig.len(), 64);
        assert_ne!(sig, signature(&secret, 1_700_000_001, b"{\"a\":1}"));
        assert_ne!(sig, signature(&secret, 1_700_000_000, b"{\"a\":2}"));
        assert_eq!(
            signature_header(&secret, 5, b"x"),
            format!("t=5,v1={}", signature(&secret, 5, b"x"))
        );
        assert!(WebhookSecret::new("short").is_err());
        assert_eq!(format!("{secret:?}"), "WebhookSecret(..)");
        Ok(())
    }

    /// Delays double from the base up to the cap, each with jitter within [d/2, d], the same
    /// for the same seed and different for another key; the fourth failure of a 4-attempt
    /// policy is dead; a 2xx delivers; a finished delivery ignores later results.
    #[test]
    fn backoff_and_state_machine() -> TestResult {
        let p = RetryPolicy::new(10, 60, 4)?;
        let k = DedupeKey::new("renewal:1:2028-03-05")?;
        let k2 = DedupeKey::new("renewal:2:2028-03-05")?;
        for (attempt, d) in [(1, 10), (2, 20), (3, 40), (4, 60), (30, 60), (40, 60)] {
            let s = p.delay_s(7, &k, attempt);
            assert!((d / 2..=d).contains(&s), "attempt {attempt}: {s}");
            assert_eq!(s, p.delay_s(7, &k, attempt));
        }
        let spread: std::collections::HashSet<i64> =
            (0..50).map(|seed| p.delay_s(seed, &k, 4)).collect();
        assert!(spread.len() > 5, "{spread:?}");
        assert!((0..20).any(|seed| p.delay_s(seed, &k, 3) != p.delay_s(seed, &k2, 3)));

        let fail = AttemptResult::Status(500);
        let mut s = DeliveryState::Pending {
            attempts: 0,
            next_attempt_s: 0,
        };
        let mut now = 1_000;
        for n in 1..=3 {
            s = s.after_attempt(&fail, now, p, 7, &k);
            let DeliveryState::Pending {
                attempts,
                next_attempt_s,
            } = s
            else {
                return Err(format!("attempt {n} left {s:?}").into());
            };
            assert_eq!(attempts, n);
            assert_eq!(next_attempt_s, now + p.delay_s(7, &k, n));
            now = next_attempt_s;
        }
        let dead = s.after_attempt(&AttemptResult::Transport("refused".into()), now, p, 7, &k);
        assert_eq!(dead, DeliveryState::Dead { attempts: 4 });
        let ok = s.after_attempt(&AttemptResult::Status(204), now, p, 7, &k);
        assert_eq!(
            ok,
            DeliveryState::Delivered {
                attempts: 4,
                at_s: now
            }
        );
        assert_eq!(ok.after_attempt(&fail, now + 1, p, 7, &k), ok);
        assert!(!AttemptResult::Status(302).is_success());
        assert!(RetryPolicy::new(0, 10, 3).is_err());
        assert!(RetryPolicy::new(10, 5, 3).is_err());
        assert!(RetryPolicy::new(10, 20, 0).is_err());
        Ok(())
    }

    /// Plain http URLs with a host, optional port and path; https, credentials, bad ports
    /// and spaces are refused, naming the field.
    #[test]
    fn urls_are_checked() -> TestResult {
        let u = WebhookUrl::parse("http://127.0.0.1:8080/hooks/milk?x=1")?;
        assert_eq!(
            (u.host(), u.port(), u.path()),
            ("127.0.0.1", 8080, "/hooks/milk?x=1")
        );
        let u = WebhookUrl::parse("http://erp.example")?;
        assert_eq!((u.host(), u.port(), u.path()), ("erp.example", 80, "/"));
        for bad in [
            "https://erp.example/h",
            "ftp://x",
            "http://user:pw@host/",
            "http://host:0/",
            "http://host:99999/",
            "http://ho st/",
            "http:///path",
        ] {
            assert!(
                matches!(
                    WebhookUrl::parse(bad),
                    Err(DairyError::Invalid {
                        field: "webhook.url",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        Ok(())
    }
}
