//! Who is looking at a page: a login with a user name and password becomes a session, an
//! HttpOnly, SameSite=Strict cookie carrying the tenant, the role and an expiry, signed with
//! HMAC-SHA256 under a key drawn at start (sessions end when the server restarts). The tenant
//! and the role come from the session only, never from the page.
//!
//! Users: with `--dev-key KEY`, the demo's users of the `dev` tenant (mapped to the demo's
//! dairy tenant): `dispatcher` (every station), `dispatcher-<station>` (that station only),
//! `manager` (read-only), `courier-<id>` for each courier and
//! `customer-<id>` for each customer of the store, each with the password `KEY`.
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::serve::auth::{Role, Stations};
use crate::serve::config::{CourierId, CustomerRef, TenantId};

/// The session cookie's name.
pub const COOKIE: &str = "milkrun_app";

/// How long a session lasts by default, seconds: the config's default
/// ([`crate::serve::config::SESSION_S`]).
pub use crate::serve::config::SESSION_S;

/// Longest cookie value or credential read, bytes (checked before decoding or hashing).
const MAX_VALUE_BYTES: usize = 4 * 1024;

/// A logged-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user name.
    pub user: String,
    /// The service tenant.
    pub tenant: TenantId,
    /// The role.
    pub role: Role,
    /// Expiry, seconds since 1970.
    pub exp: u64,
}

/// The cookie's payload (JSON, then base64url).
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    user: String,
    tenant: String,
    role: String,
    #[serde(default)]
    courier: Option<String>,
    #[serde(default)]
    customer: Option<String>,
    /// A dispatcher's stations (absent: every station).
    #[serde(default)]
    stations: Option<Vec<i64>>,
    exp: u64,
}

/// Why a request has no session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No cookie.
    #[error("not logged in: log in first")]
    Missing,
    /// A cookie that is malformed or not signed by this server (or by an earlier start).
    #[error("the session is not valid (the server may have restarted): log in again")]
    Invalid,
    /// The session's time is up.
    #[error("the session has expired: log in again")]
    Expired,
}

/// Signs and checks session cookies.
pub struct SessionKeys {
    key: [u8; 32],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

/// Seconds since 1970 now.
pub fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl SessionKeys {
    /// Keys from 32 bytes (drawn from the system's random source at start).
    pub fn new(key: [u8; 32]) -> SessionKeys {
        SessionKeys { key }
    }

    /// Keys drawn from `/dev/urandom`.
    pub fn random() -> std::io::Result<SessionKeys> {
        use std::io::Read;
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
        Ok(SessionKeys { key })
    }

    /// A MAC under the key (HMAC takes keys of any length; an error is reported, not
    /// assumed away).
    fn mac(&self) -> Result<Hmac<Sha256>, SessionError> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key).map_err(|_| SessionError::Invalid)
    }

    /// The cookie value of a session.
    pub fn sign(&self, s: &Session) -> Result<String, SessionError> {
        let (role, courier, customer) = match &s.role {
            Role::Admin => ("admin", None, None),
            Role::Dispatcher(_) => ("dispatcher", None, None),
            Role::Analyst => ("analyst", None, None),
            Role::Courier(id) => ("courier", Some(id.0.clone()), None),
            Role::Customer(id) => ("customer", None, Some(id.0.clone())),
        };
        let stations = match &s.role {
            Role::Dispatcher(st) => st.named().map(<[i64]>::to_vec),
            _ => None,
        };
        let claims = Claims {
            user: s.user.clone(),
            tenant: s.tenant.0.clone(),
            role: role.into(),
            courier,
            customer,
            stations,
            exp: s.exp,
        };
        let json = serde_json::to_vec(&claims).map_err(|_| SessionError::Invalid)?;
        let payload = URL_SAFE_NO_PAD.encode(json);
        let mut mac = self.mac()?;
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Ok(format!("{payload}.{sig}"))
    }

    /// The session of a cookie value: its signature verified (in constant time), then its
    /// expiry against `now`.
    pub fn verify(&self, value: &str, now: u64) -> Result<Session, SessionError> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(SessionError::Invalid);
        }
        let (payload, sig) = value.split_once('.').ok_or(SessionError::Invalid)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| SessionError::Invalid)?;
        let mut mac = self.mac()?;
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig).map_err(|_| SessionError::Invalid)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| SessionError::Invalid)?;
        let c: Claims = serde_json::from_slice(&bytes).map_err(|_| SessionError::Invalid)?;
        if c.exp <= now {
            return Err(SessionError::Expired);
        }
        let role = match (c.role.as_str(), c.courier, c.customer, c.stations) {
            ("admin", None, None, None) => Role::Admin,
            ("dispatcher", None, None, stations) => Role::Dispatcher(
                Stations::of(stations.as_deref()).map_err(|_| SessionError::Invalid)?,
            ),
            ("analyst", None, None, None) => Role::Analyst,
            ("courier", Some(id), None, None) => Role::Courier(CourierId(id)),
            ("customer", None, Some(id), None) => Role::Customer(CustomerRef(id)),
            _ => return Err(SessionError::Invalid),
        };
        Ok(Session {
            user: c.user,
            tenant: TenantId(c.tenant),
            role,
            exp: c.exp,
        })
    }

    /// Whether `password` is `expected`, compared through their MACs (constant time).
    pub fn password_matches(&self, password: &str, expected: &str) -> bool {
        if password.len() > MAX_VALUE_BYTES {
            return false;
        }
        let (Ok(mut a), Ok(mut b)) = (self.mac(), self.mac()) else {
            return false;
        };
        a.update(b"password\0");
        a.update(expected.as_bytes());
        let expected = a.finalize().into_bytes();
        b.update(b"password\0");
        b.update(password.as_bytes());
        b.verify_slice(&expected).is_ok()
    }
}

/// The value of the session cookie in a `Cookie` header, if any.
pub fn cookie_value(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// How long the browser keeps a session's cookie after the session ends, seconds: long
/// enough for the next call to be told that the session expired rather than that nobody is
/// logged in (the server refuses the cookie from its expiry on).
pub const EXPIRED_NOTICE_S: u64 = 3600;

/// The `Set-Cookie` value that starts a session lasting `session_s` seconds (the cookie
/// itself lasts [`EXPIRED_NOTICE_S`] longer).
pub fn set_cookie(value: &str, session_s: u64) -> String {
    let max_age = session_s.saturating_add(EXPIRED_NOTICE_S);
    format!("{COOKIE}={value}; Path=/app; HttpOnly; SameSite=Strict; Max-Age={max_age}")
}

/// The `Set-Cookie` value that ends a session.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/app; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// What a user name asks for, before it is checked against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserName {
    /// `dispatcher`: every station.
    Dispatcher,
    /// `dispatcher-<station>`: that station only.
    StationDispatcher(i64),
    /// `manager`: read-only.
    Manager,
    /// `courier-<id>`.
    Courier(i64),
    /// `customer-<id>`.
    Customer(i64),
}

impl UserName {
    /// Parses a demo user name (`None`: no such user).
    pub fn parse(name: &str) -> Option<UserName> {
        match name {
            "dispatcher" => Some(UserName::Dispatcher),
            "manager" => Some(UserName::Manager),
            _ => {
                let (kind, id): (fn(i64) -> UserName, &str) =
                    if let Some(id) = name.strip_prefix("courier-") {
                        (UserName::Courier, id)
                    } else if let Some(id) = name.strip_prefix("dispatcher-") {
                        (UserName::StationDispatcher, id)
                    } else {
                        (UserName::Customer, name.strip_prefix("customer-")?)
                    };
                // Digits only: no sign, no leading `+`, at most 18 of them.
                if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                id.parse().ok().map(kind)
            }
        }
    }

    /// The role of the user.
    pub fn role(&self) -> Role {
        match self {
            UserName::Dispatcher => Role::Dispatcher(Stations::All),
            UserName::StationDispatcher(id) => Role::Dispatcher(Stations::Only(vec![*id])),
            UserName::Manager => Role::Analyst,
            UserName::Courier(id) => Role::Courier(CourierId(id.to_string())),
            UserName::Customer(id) => Role::Customer(CustomerRef(id.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signed session verifies until it expires; a changed payload, a foreign key or a
    /// truncated signature does not.
    #[test]
    fn sessions_sign_verify_and_expire() {
        let keys = SessionKeys::new([7; 32]);
        let s = Session {
            user: "courier-3".into(),
            tenant: TenantId("dev".into()),
            role: Role::Courier(CourierId("3".into())),
            exp: 1_000,
        };
        let v = keys.sign(&s).expect("signed");
        assert_eq!(keys.verify(&v, 999), Ok(s.clone()));
        assert_eq!(keys.verify(&v, 1_000), Err(SessionError::Expired));
        let other = SessionKeys::new([8; 32]);
        assert_eq!(other.verify(&v, 0), Err(SessionError::Invalid));
        assert_eq!(
            keys.verify(&v[..v.len() - 2], 0),
            Err(SessionError::Invalid)
        );
        let forged = Session {
            role: Role::Dispatcher(Stations::All),
            ..s
        };
        let forged_payload = other.sign(&forged).expect("signed");
        let (p, _) = forged_payload.split_once('.').expect("two parts");
        let (_, sig) = v.split_once('.').expect("two parts");
        assert_eq!(
            keys.verify(&format!("{p}.{sig}"), 0),
            Err(SessionError::Invalid)
        );
        assert_eq!(keys.verify("nodot", 0), Err(SessionError::Invalid));
        assert_eq!(
            cookie_value(&format!("a=b; {COOKIE}={v}")),
            Some(v.as_str())
        );
        assert!(keys.password_matches("k", "k") && !keys.password_matches("k", "K"));
        assert_eq!(UserName::parse("courier-12"), Some(UserName::Courier(12)));
        assert_eq!(UserName::parse("customer-7"), Some(UserName::Customer(7)));
        assert_eq!(
            UserName::parse("dispatcher-2"),
            Some(UserName::StationDispatcher(2))
        );
        // A station dispatcher's session keeps its station, and a forged list breaks the
        // signature.
        let bound = Session {
            user: "dispatcher-2".into(),
            tenant: TenantId("dev".into()),
            role: Role::Dispatcher(Stations::Only(vec![2])),
            exp: 10,
        };
        let v = keys.sign(&bound).expect("signed");
        assert_eq!(keys.verify(&v, 0), Ok(bound.clone()));
        let widened = other
            .sign(&Session {
                role: Role::Dispatcher(Stations::All),
                ..bound
            })
            .expect("signed");
        let (p, _) = widened.split_once('.').expect("two parts");
        let (_, sig) = v.split_once('.').expect("two parts");
        assert_eq!(
            keys.verify(&format!("{p}.{sig}"), 0),
            Err(SessionError::Invalid)
        );
        let customer = Session {
            user: "customer-7".into(),
            tenant: TenantId("dev".into()),
            role: Role::Customer(CustomerRef("7".into())),
            exp: 10,
        };
        let v = keys.sign(&customer).expect("signed");
        assert_eq!(keys.verify(&v, 0), Ok(customer));
        for bad in [
            "courier-",
            "courier--1",
            "courier-+1",
            "courier-1x",
            "dispatcher-",
            "dispatcher-x",
            "admin",
            "",
        ] {
            assert_eq!(UserName::parse(bad), None, "{bad}");
        }
    }
}
