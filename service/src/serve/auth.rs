//! Who is calling: `Authorization: Bearer <API key or JWT>` resolved to a tenant and a role.
//! The tenant comes from the credential only, never from a message body.
use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::config::{sha256_hex, CourierId, RoleKind, ServeConfig, TenantId};

/// A caller's role within its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Everything within the tenant.
    Admin,
    /// Plans and traffic.
    Dispatcher,
    /// One courier: its own route and road queries.
    Courier(CourierId),
    /// Read-only queries.
    Analyst,
}

impl Role {
    fn from_kind(kind: RoleKind, courier: Option<CourierId>) -> Option<Role> {
        Some(match kind {
            RoleKind::Admin => Role::Admin,
            RoleKind::Dispatcher => Role::Dispatcher,
            RoleKind::Courier => Role::Courier(courier?),
            RoleKind::Analyst => Role::Analyst,
        })
    }

    /// Whether the role may change the tenant's traffic.
    pub fn may_change_traffic(&self) -> bool {
        matches!(self, Role::Admin | Role::Dispatcher)
    }

    /// Whether the role may run optimizations (every role but the read-only analyst).
    pub fn may_optimize(&self) -> bool {
        !matches!(self, Role::Analyst)
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
    /// The tenant id.
    tenant: TenantId,
    /// The role.
    role: RoleKind,
    /// The courier of a courier token.
    #[serde(default)]
    courier_id: Option<CourierId>,
}

/// Resolves credentials against the configured tenants.
pub struct Authenticator {
    /// sha256 hex of each key → who it is.
    keys: HashMap<String, Identity>,
    /// Each tenant's JWT key.
    jwt: HashMap<TenantId, DecodingKey>,
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
                if let Some(role) = Role::from_kind(k.role, k.courier_id.clone()) {
                    let who = Identity {
                        tenant: t.id.clone(),
                        role,
                    };
                    keys.insert(k.sha256.clone(), who);
                }
            }
            if let Some(secret) = &t.jwt_secret {
                jwt.insert(t.id.clone(), DecodingKey::from_secret(secret.as_bytes()));
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
        let bad = |e: jsonwebtoken::errors::Error| AuthError::BadJwt(e.to_string());
        // The tenant claim picks the key; the claims are trusted only after the check below.
        let unverified = jsonwebtoken::dangerous::insecure_decode::<Claims>(token).map_err(bad)?;
        let key = self
            .jwt
            .get(&unverified.claims.tenant)
            .ok_or_else(|| AuthError::BadJwt("no JWT secret for the token's tenant".into()))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(bad)?;
        let c = data.claims;
        let role = Role::from_kind(c.role, c.courier_id)
            .ok_or_else(|| AuthError::BadJwt("a courier token needs `courier_id`".into()))?;
        Ok(Identity {
            tenant: c.tenant,
            role,
        })
    }
}
