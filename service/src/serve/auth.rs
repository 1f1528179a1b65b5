//! Who is calling: `Authorization: Bearer <API key or JWT>` resolved to a tenant and a role.
//! The tenant comes from the credential only, never from a message body.
use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::config::{sha256_hex, CourierId, CustomerRef, RoleKind, ServeConfig, TenantId};

/// A caller's role within its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Everything within the tenant.
    Admin,
    /// Plans and traffic; on the pages, the stations it may see and control.
    Dispatcher(Stations),
    /// One courier: its own route and road queries.
    Courier(CourierId),
    /// Read-only queries.
    Analyst,
    /// One customer: its own calendar on the pages (`/app/customer`); no API call.
    Customer(CustomerRef),
}

pub use super::config::{Stations, MAX_STATIONS};

impl Role {
    fn from_kind(
        kind: RoleKind,
        courier: Option<CourierId>,
        stations: Option<&[i64]>,
    ) -> Option<Role> {
        Some(match kind {
            RoleKind::Admin => Role::Admin,
            RoleKind::Dispatcher => Role::Dispatcher(Stations::of(stations).ok()?),
            RoleKind::Courier => Role::Courier(courier?),
            RoleKind::Analyst => Role::Analyst,
        })
    }

    /// Whether the role may change the tenant's traffic.
    pub fn may_change_traffic(&self) -> bool {
        matches!(self, Role::Admin | Role::Dispatcher(_))
    }

    /// The stations the role may see and control on the pages: a dispatcher's own, every
    /// station for the admin and the read-only manager (`None` for a courier or a customer).
    pub fn stations(&self) -> Option<Stations> {
        match self {
            Role::Dispatcher(s) => Some(s.clone()),
            Role::Admin | Role::Analyst => Some(Stations::All),
            Role::Courier(_) | Role::Customer(_) => None,
        }
    }

    /// Whether the role may run optimizations (every role but the read-only analyst).
    pub fn may_optimize(&self) -> bool {
        !matches!(self, Role::Analyst | Role::Customer(_))
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The tenant.
    pub tenant: TenantId,
    /// The role.
    pub role: Role,
}

/// Why a call is not authenticated (all answer UNAUTHENTICATED).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `authorization` header, or not `Bearer <token>`.
    #[error("missing `authorization: Bearer <API key or JWT>`")]
    Missing,
    /// No tenant has this API key.
    #[error("unknown API key")]
    UnknownKey,
    /// The JWT is malformed, badly signed, expired, or names an unknown tenant.
    #[error("invalid JWT: {0}")]
    BadJwt(String),
}

/// The claims milkrun reads from a JWT.
#[derive(Debug, Deserialize)]
struct Claims {
    /// Expiry, seconds since 1970 (required).
    exp: u64,
    /// Not before, seconds since 1970 (optional).
    #[serde(default)]
    nbf: Option<u64>,
    /// The tenant id.
    tenant: TenantId,
    /// The role.
    role: RoleKind,
    /// The courier of a courier token.
    #[serde(default)]
    courier_id: Option<CourierId>,
    /// The stations of a dispatcher token bound to some (absent: every station).
    #[serde(default)]
    stations: Option<Vec<i64>>,
}

/// Resolves credentials against the configured tenants.
pub struct Authenticator {
    /// sha256 hex of each key → who it is.
    keys: HashMap<String, Identity>,
    /// Each tenant's JWT (HS256) secret.
    jwt: HashMap<TenantId, Vec<u8>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("keys", &self.keys.len())
            .field("jwt_tenants", &self.jwt.len())
            .finish()
    }
}

/// Largest accepted credential, bytes (checked before hashing or decoding).
const MAX_CREDENTIAL_BYTES: usize = 8 * 1024;

impl Authenticator {
    /// The credentials of a (validated) configuration.
    pub fn new(config: &ServeConfig) -> Authenticator {
        let mut keys = HashMap::new();
        let mut jwt = HashMap::new();
        for t in &config.tenants {
            for k in &t.api_keys {
                let stations = k.stations.as_deref();
                if let Some(role) = Role::from_kind(k.role, k.courier_id.clone(), stations) {
                    let who = Identity {
                        tenant: t.id.clone(),
                        role,
                    };
                    keys.insert(k.sha256.clone(), who);
                }
            }
            if let Some(secret) = &t.jwt_secret {
                jwt.insert(t.id.clone(), secret.as_bytes().to_vec());
            }
        }
        Authenticator { keys, jwt }
    }

    /// The caller named by an `authorization` header value.
    pub fn identify(&self, authorization: Option<&str>) -> Result<Identity, AuthError> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= MAX_CREDENTIAL_BYTES)
            .ok_or(AuthError::Missing)?;
        if token.bytes().filter(|&b| b == b'.').count() == 2 {
            return self.identify_jwt(token);
        }
        self.keys
            .get(&sha256_hex(token))
            .cloned()
            .ok_or(AuthError::UnknownKey)
    }

    fn identify_jwt(&self, token: &str) -> Result<Identity, AuthError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // The tenant claim picks the secret; the claims are trusted only after the signature
        // check in `verify_hs256`.
        let c = verify_hs256(token, now, |tenant| self.jwt.get(tenant).map(Vec::as_slice))?;
        if c.stations.is_some() && c.role != RoleKind::Dispatcher {
            return Err(AuthError::BadJwt(
                "claims.stations: only a dispatcher token names stations".into(),
            ));
        }
        Stations::of(c.stations.as_deref())
            .map_err(|e| AuthError::BadJwt(format!("claims.stations: {e}")))?;
        let role = Role::from_kind(c.role, c.courier_id, c.stations.as_deref())
            .ok_or_else(|| AuthError::BadJwt("a courier token needs `courier_id`".into()))?;
        Ok(Identity {
            tenant: c.tenant,
            role,
        })
    }
}

/// The JOSE header fields milkrun reads.
#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
}

/// Checks a compact JWS signed with HMAC-SHA256 (RFC 7515/7518) and returns its claims: the
/// header must say `HS256` (no `none`, no other algorithm), the signature must verify (in
/// constant time) under the secret of the tenant the claims name, `exp` must be in the future
/// and `nbf`, when present, in the past (no leeway).
fn verify_hs256<'k>(
    token: &str,
    now: u64,
    secret_of: impl Fn(&TenantId) -> Option<&'k [u8]>,
) -> Result<Claims, AuthError> {
    let bad = |m: &str| AuthError::BadJwt(m.to_string());
    let mut parts = token.splitn(3, '.');
    let (Some(h64), Some(c64), Some(s64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("not three dot-separated parts"));
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| AuthError::BadJwt(format!("{what}: not base64url: {e}")))
    };
    let header: Header = serde_json::from_slice(&decode(h64, "header")?)
        .map_err(|e| AuthError::BadJwt(format!("header: {e}")))?;
    if header.alg != "HS256" {
        return Err(AuthError::BadJwt(format!(
            "header.alg: `{}` is not accepted, only HS256",
            header.alg.chars().take(16).collect::<String>()
        )));
    }
    let claims: Claims = serde_json::from_slice(&decode(c64, "claims")?)
        .map_err(|e| AuthError::BadJwt(format!("claims: {e}")))?;
    let signature = decode(s64, "signature")?;
    let secret =
        secret_of(&claims.tenant).ok_or_else(|| bad("no JWT secret for the token's tenant"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| bad("unusable secret"))?;
    mac.update(h64.as_bytes());
    mac.update(b".");
    mac.update(c64.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| bad("signature does not verify"))?;
    if claims.exp <= now {
        return Err(bad("claims.exp: the token has expired"));
    }
    if claims.nbf.is_some_and(|nbf| nbf > now) {
        return Err(bad("claims.nbf: the token is not valid yet"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn sign(header: &str, claims: &str, secret: &[u8]) -> String {
        let signing_input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&mac.finalize().into_bytes()))
    }

    #[test]
    fn a_dispatchers_stations_are_checked() {
        assert_eq!(Stations::of(None), Ok(Stations::All));
        let two = Stations::of(Some(&[3, 5])).expect("valid");
        assert!(two.allows(3) && two.allows(5) && !two.allows(4));
        assert!(Stations::All.allows(4));
        for (bad, words) in [
            (vec![], "1 to"),
            (vec![0], "not a station id"),
            (vec![-2], "not a station id"),
            (vec![4, 4], "twice"),
            (vec![1; MAX_STATIONS + 1], "1 to"),
        ] {
            let err = Stations::of(Some(&bad)).expect_err("refused");
            assert!(err.contains(words), "{bad:?}: {err}");
        }
    }

    const H: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    fn check(token: &str, now: u64) -> Result<Claims, AuthError> {
        let acme = TenantId("acme".into());
        verify_hs256(token, now, |t| (t == &acme).then_some(b"s3cret".as_slice()))
    }

    #[test]
    fn a_good_token_verifies_and_everything_else_is_refused() {
        let claims = r#"{"tenant":"acme","role":"dispatcher","exp":2000,"nbf":1000}"#;
        let good = sign(H, claims, b"s3cret");
        let c = check(&good, 1500).expect("valid");
        assert_eq!(c.tenant.0, "acme");
        let err = |t: &str, now: u64| match check(t, now) {
            Err(AuthError::BadJwt(m)) => m,
            other => panic!("expected BadJwt, got {other:?}"),
        };
        assert!(err(&good, 2000).contains("claims.exp"));
        assert!(err(&good, 999).contains("claims.nbf"));
        assert!(err(&sign(H, claims, b"other"), 1500).contains("signature"));
        let none = sign(r#"{"alg":"none"}"#, claims, b"s3cret");
        assert!(err(&none, 1500).contains("header.alg"));
        let hs512 = sign(r#"{"alg":"HS512"}"#, claims, b"s3cret");
        assert!(err(&hs512, 1500).contains("header.alg"));
        let foreign = sign(
            H,
            r#"{"tenant":"other","role":"admin","exp":2000}"#,
            b"s3cret",
        );
        assert!(err(&foreign, 1500).contains("no JWT secret"));
        let no_exp = sign(H, r#"{"tenant":"acme","role":"admin"}"#, b"s3cret");
        assert!(err(&no_exp, 1500).contains("exp"));
        // A signature cut short, padded base64, and a tampered payload.
        assert!(err(&good[..good.len() - 2], 1500).contains("signature"));
        assert!(err(&format!("{good}="), 1500).contains("base64"));
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = b64(br#"{"tenant":"acme","role":"admin","exp":2000}"#);
        parts[1] = &forged;
        assert!(err(&parts.join("."), 1500).contains("signature"));
        assert!(err("a.b", 0).contains("three"));
    }
}
