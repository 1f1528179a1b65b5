//! The service's configuration file (JSON): tenants, their API keys (sha256 hashes), JWT
//! secrets and quotas, and the webhook sender's settings. `--dev-key` builds a one-tenant configuration instead.
use std::collections::HashSet;
use std::path::Path;

use milkrun_dairy::store::webhooks::MAX_WEBHOOK_BATCH;
use milkrun_dairy::webhook::{RetryPolicy, MAX_ATTEMPTS};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A tenant id (`acme`, `dev`): the key of everything the service keeps per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub String);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A courier id (from an API key's entry or a JWT's `courier_id` claim).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct CourierId(pub String);

/// A customer id (of a customer's page session).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct CustomerRef(pub String);

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    /// Everything within the tenant.
    Admin,
    /// Plans and traffic.
    Dispatcher,
    /// Its own route (and road queries).
    Courier,
    /// Read-only queries.
    Analyst,
}

/// One API key of a tenant, stored as the sha256 hex digest of the key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyEntry {
    /// Lower-case hex sha256 of the key.
    pub sha256: String,
    /// The key's role.
    pub role: RoleKind,
    /// The courier a `courier` key belongs to.
    #[serde(default)]
    pub courier_id: Option<CourierId>,
    /// The stations a `dispatcher` key sees and controls on the pages (absent: every
    /// station of the tenant).
    #[serde(default)]
    pub stations: Option<Vec<i64>>,
}

/// Per-tenant limits. Every field has a default, so a config may name only some.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quotas {
    /// Sustained requests per second (a token bucket refilled at this rate).
    pub requests_per_second: f64,
    /// Burst size of the token bucket (requests).
    pub burst: u32,
    /// Solves (and matrices) running at once.
    pub concurrent_solves: u32,
    /// Shipments of one model.
    pub max_stops: u32,
    /// Vehicles of one model.
    pub max_vehicles: u32,
    /// Cells (rows × columns) of one matrix.
    pub max_matrix_cells: u64,
    /// Longest solve, seconds.
    pub max_time_limit_s: f64,
    /// Jobs of the Jobs service queued or running at once (0: the tenant may not submit).
    pub max_queued_jobs: u32,
    /// Live days open at once (Dispatch.OpenDay).
    pub max_live_days: u32,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            requests_per_second: 50.0,
            burst: 100,
            concurrent_solves: 4,
            max_stops: 5_000,
            max_vehicles: 500,
            max_matrix_cells: 4_000_000,
            max_time_limit_s: 60.0,
            max_queued_jobs: 16,
            max_live_days: 20,
        }
    }
}

/// One tenant of the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The tenant's id.
    pub id: TenantId,
    /// Its API keys.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyEntry>,
    /// The HS256 secret its JWTs are signed with (no JWT is accepted without one).
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// Its quotas.
    #[serde(default)]
    pub quotas: Quotas,
}

/// The webhook sender that `milkrun serve` runs over the dairy store of `--db`
/// ([`super::webhooks`]). Every field has a default, so a config may name only some.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Whether the sender runs.
    pub enabled: bool,
    /// Seconds between the starts of two rounds (1..=[`MAX_WEBHOOK_EVERY_S`]).
    pub every_s: u32,
    /// Delay after a first failed attempt before jitter, seconds (at least 1); it doubles
    /// with each further failure up to `retry_cap_s`.
    pub retry_base_s: u32,
    /// Longest delay before jitter, seconds (`retry_base_s..=86400`).
    pub retry_cap_s: u32,
    /// Failed attempts after which a delivery is dead (1..=50).
    pub max_attempts: u32,
    /// Most deliveries one round posts (1..=1000).
    pub batch: u32,
    /// Seconds one attempt may take (connect, send, answer) before it counts as failed
    /// (1..=[`MAX_WEBHOOK_TIMEOUT_S`]).
    pub timeout_s: u32,
}

/// Longest time between two webhook rounds, seconds.
pub const MAX_WEBHOOK_EVERY_S: u32 = 3_600;
/// Longest time one webhook attempt may take, seconds.
pub const MAX_WEBHOOK_TIMEOUT_S: u32 = 60;

impl Default for WebhookConfig {
    fn default() -> WebhookConfig {
        WebhookConfig {
            enabled: true,
            every_s: 5,
            retry_base_s: 30,
            retry_cap_s: 3_600,
            max_attempts: 8,
            batch: 100,
            timeout_s: 10,
        }
    }
}

impl WebhookConfig {
    /// The retry policy, checked (the error names the field under `webhooks`).
    pub fn policy(&self) -> Result<RetryPolicy, ConfigError> {
        RetryPolicy::new(self.retry_base_s, self.retry_cap_s, self.max_attempts).map_err(|e| {
            let field = if (1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
                "webhooks.retry_base_s"
            } else {
                "webhooks.max_attempts"
            };
            ConfigError::Invalid {
                field: field.into(),
                reason: e.to_string(),
            }
        })
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, reason: String| ConfigError::Invalid {
            field: format!("webhooks.{field}"),
            reason,
        };
        if !(1..=MAX_WEBHOOK_EVERY_S).contains(&self.every_s) {
            return Err(bad("every_s", format!("must be 1..={MAX_WEBHOOK_EVERY_S}")));
        }
        if !(1..=MAX_WEBHOOK_BATCH).contains(&self.batch) {
            return Err(bad("batch", format!("must be 1..={MAX_WEBHOOK_BATCH}")));
        }
        if !(1..=MAX_WEBHOOK_TIMEOUT_S).contains(&self.timeout_s) {
            return Err(bad(
                "timeout_s",
                format!("must be 1..={MAX_WEBHOOK_TIMEOUT_S}"),
            ));
        }
        self.policy().map(|_| ())
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The tenants.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// The tenant that the `--compat-listen` port (OSRM and VROOM faces for clients that
    /// cannot send headers) acts as, with the dispatcher role; `dev` with `--dev-key`.
    #[serde(default)]
    pub compat_tenant: Option<TenantId>,
    /// The webhook sender.
    #[serde(default)]
    pub webhooks: WebhookConfig,
    /// The pages (`/app/`).
    #[serde(default)]
    pub app: AppConfig,
    /// The live days' failover.
    #[serde(default)]
    pub live_days: LiveDaysConfig,
}

/// The live days' settings (`live_days` in the config file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveDaysConfig {
    /// How often this replica takes over the open days whose lease lapsed, milliseconds
    /// (100..=60000; default 1000).
    #[serde(default = "default_sweep_ms")]
    pub sweep_ms: u64,
}

fn default_sweep_ms() -> u64 {
    SWEEP_MS
}

impl Default for LiveDaysConfig {
    fn default() -> LiveDaysConfig {
        LiveDaysConfig {
            sweep_ms: default_sweep_ms(),
        }
    }
}

/// The longest session of the pages a config may set, seconds (a week).
pub const MAX_SESSION_S: u64 = 7 * 86_400;

/// The pages' settings (`app` in the config file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// How long a login lasts, seconds (1..=[`MAX_SESSION_S`]; default 8 hours).
    #[serde(default = "default_session_s")]
    pub session_s: u64,
    /// The pages' time of day when the server starts, `HH:MM` or `HH:MM:SS`, running at the
    /// wall clock's speed (the pages' clock, `app::AppClock`; `--app-clock-start` sets it too).
    /// Unset: the wall clock's time of day (UTC).
    #[serde(default)]
    pub clock_start: Option<String>,
}

/// How long a pages' session lasts by default, seconds (8 hours: a morning's shift; the
/// config's `app.session_s` changes it).
pub const SESSION_S: u64 = 8 * 3600;

fn default_session_s() -> u64 {
    SESSION_S
}

impl Default for AppConfig {
    fn default() -> AppConfig {
        AppConfig {
            session_s: default_session_s(),
            clock_start: None,
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid configuration.
    #[error("config {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The JSON error (with line and column).
        source: serde_json::Error,
    },
    /// A field has a bad value.
    #[error("config: {field}: {reason}")]
    Invalid {
        /// The field, e.g. `tenants[1].api_keys[0].sha256`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// The lower-case hex sha256 of a key (how keys are stored in the configuration).
pub fn sha256_hex(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl ServeConfig {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<ServeConfig, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: name.clone(),
            source,
        })?;
        let config: ServeConfig = serde_json::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: name, source })?;
        config.validate()?;
        Ok(config)
    }

    /// One tenant `dev` with one admin key.
    pub fn dev(key: &str) -> ServeConfig {
        ServeConfig {
            tenants: vec![TenantConfig {
                id: TenantId("dev".into()),
                api_keys: vec![ApiKeyEntry {
                    sha256: sha256_hex(key),
                    role: RoleKind::Admin,
                    courier_id: None,
                    stations: None,
                }],
                jwt_secret: None,
                quotas: Quotas::default(),
            }],
            compat_tenant: None,
            webhooks: WebhookConfig::default(),
            app: AppConfig::default(),
            live_days: LiveDaysConfig::default(),
        }
    }

    /// Checks ids, hashes and quotas.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: String, reason: &str| ConfigError::Invalid {
            field,
            reason: reason.into(),
        };
        let mut ids = HashSet::new();
        let mut hashes = HashSet::new();
        for (t, tenant) in self.tenants.iter().enumerate() {
            if tenant.id.0.is_empty() || !ids.insert(&tenant.id) {
                return Err(bad(format!("tenants[{t}].id"), "empty or repeated"));
            }
            for (k, key) in tenant.api_keys.iter().enumerate() {
                let field = format!("tenants[{t}].api_keys[{k}]");
                let hex_ok = key.sha256.len() == 64
                    && key
                        .sha256
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !hex_ok {
                    return Err(bad(
                        format!("{field}.sha256"),
                        "not 64 lower-case hex digits",
                    ));
                }
                if !hashes.insert(&key.sha256) {
                    return Err(bad(format!("{field}.sha256"), "key used twice"));
                }
                if (key.role == RoleKind::Courier) != key.courier_id.is_some() {
                    return Err(bad(
                        format!("{field}.courier_id"),
                        "needed for a courier key, and only for one",
                    ));
                }
                if key.stations.is_some() && key.role != RoleKind::Dispatcher {
                    return Err(bad(
                        format!("{field}.stations"),
                        "only a dispatcher key names stations",
                    ));
                }
                if let Err(reason) = Stations::of(key.stations.as_deref()) {
                    return Err(bad(format!("{field}.stations"), &reason));
                }
            }
            if tenant.jwt_secret.as_ref().is_some_and(|s| s.len() < 16) {
                return Err(bad(
                    format!("tenants[{t}].jwt_secret"),
                    "shorter than 16 bytes",
                ));
            }
            let q = &tenant.quotas;
            let field = |f: &str| format!("tenants[{t}].quotas.{f}");
            if !(q.requests_per_second.is_finite() && q.requests_per_second > 0.0) {
                return Err(bad(
                    field("requests_per_second"),
                    "must be a positive number",
                ));
            }
            if !(q.max_time_limit_s.is_finite() && q.max_time_limit_s > 0.0) {
                return Err(bad(field("max_time_limit_s"), "must be a positive number"));
            }
            if q.burst == 0 || q.concurrent_solves == 0 {
                return Err(bad(
                    field("burst"),
                    "burst and concurrent_solves must be positive",
                ));
            }
        }
        self.webhooks.validate()?;
        if !(1..=MAX_SESSION_S).contains(&self.app.session_s) {
            return Err(ConfigError::Invalid {
                field: "app.session_s".into(),
                reason: format!("must be 1..={MAX_SESSION_S} seconds"),
            });
        }
        if let Some(start) = &self.app.clock_start {
            if milkrun_calendar::parse_time_of_day(start).is_none() {
                return Err(ConfigError::Invalid {
                    field: "app.clock_start".into(),
                    reason: format!("`{start}` is not a time of day (HH:MM or HH:MM:SS)"),
                });
            }
        }
        let range = SWEEP_MS_RANGE;
        if !range.contains(&self.live_days.sweep_ms) {
            return Err(ConfigError::Invalid {
                field: "live_days.sweep_ms".into(),
                reason: format!(
                    "{} is not {}..={} milliseconds",
                    self.live_days.sweep_ms,
                    range.start(),
                    range.end()
                ),
            });
        }
        if let Some(compat) = &self.compat_tenant {
            if !self.tenants.iter().any(|t| &t.id == compat) {
                return Err(bad("compat_tenant".into(), "names no tenant of this file"));
            }
        }
        Ok(())
    }

    /// The tenant the `--compat-listen` port acts as: `compat_tenant`, else `dev` when it is
    /// the only tenant (`--dev-key` alone).
    pub fn compat_tenant(&self) -> Option<TenantId> {
        self.compat_tenant
            .clone()
            .or_else(|| match self.tenants.as_slice() {
                [only] if only.id.0 == "dev" => Some(only.id.clone()),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ServeConfig, String> {
        let config: ServeConfig = serde_json::from_str(json).map_err(|e| e.to_string())?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// The `live_days` section: the sweep's default when absent, a value in range kept, one
    /// out of range refused naming it, a negative one or an unknown field refused where it
    /// stands.
    #[test]
    fn live_days_sweep_is_checked() {
        assert_eq!(parse("{}").expect("no section").live_days.sweep_ms, 1_000);
        let fast = parse(r#"{"live_days": {"sweep_ms": 200}}"#).expect("valid");
        assert_eq!(fast.live_days.sweep_ms, 200);
        for (json, said) in [
            (r#"{"live_days": {"sweep_ms": 0}}"#, "live_days.sweep_ms"),
            (r#"{"live_days": {"sweep_ms": 99}}"#, "live_days.sweep_ms"),
            (
                r#"{"live_days": {"sweep_ms": 60001}}"#,
                "live_days.sweep_ms",
            ),
            (r#"{"live_days": {"sweep_ms": -1}}"#, "line 1 column 29"),
            (r#"{"live_days": {"sweep": 1000}}"#, "unknown field `sweep`"),
        ] {
            let err = parse(json).expect_err(json);
            assert!(err.contains(said), "{json}: {err}");
        }
    }

    /// The `webhooks` section: defaults when absent, a field may be named alone, and a bad
    /// value or an unknown field is refused naming it.
    #[test]
    fn webhook_section_is_checked_by_field() {
        let default = parse("{}").expect("no section");
        assert_eq!(default.webhooks, WebhookConfig::default());
        assert_eq!(
            default.app.session_s,
            8 * 3600,
            "the pages' default session"
        );
        let short = parse(r#"{"app": {"session_s": 4}}"#).expect("valid");
        assert_eq!(short.app.session_s, 4);
        let morning = parse(r#"{"app": {"clock_start": "05:00"}}"#).expect("valid");
        assert_eq!(morning.app.clock_start.as_deref(), Some("05:00"));
        let bound = parse(&format!(
            r#"{{"tenants": [{{"id": "a", "api_keys": [{{"sha256": "{}", "role": "dispatcher", "stations": [2, 3]}}]}}]}}"#,
            sha256_hex("k")
        ))
        .expect("valid");
        assert_eq!(bound.tenants[0].api_keys[0].stations, Some(vec![2, 3]));
        let fast = parse(r#"{"webhooks": {"every_s": 1, "retry_base_s": 1}}"#).expect("valid");
        assert_eq!((fast.webhooks.every_s, fast.webhooks.batch), (1, 100));
        for (json, field) in [
            (r#"{"webhooks": {"every_s": 0}}"#, "webhooks.every_s"),
            (r#"{"webhooks": {"every_s": 3601}}"#, "webhooks.every_s"),
            (r#"{"webhooks": {"batch": 1001}}"#, "webhooks.batch"),
            (r#"{"webhooks": {"timeout_s": 0}}"#, "webhooks.timeout_s"),
            (
                r#"{"webhooks": {"retry_base_s": 60, "retry_cap_s": 30}}"#,
                "webhooks.retry_base_s",
            ),
            (
                r#"{"webhooks": {"max_attempts": 0}}"#,
                "webhooks.max_attempts",
            ),
            (r#"{"webhooks": {"every": 1}}"#, "every"),
            (
                r#"{"tenants": [{"id": "a", "api_keys": [{"sha256": "HASH", "role": "dispatcher", "stations": []}]}]}"#,
                "tenants[0].api_keys[0].stations: must name 1 to",
            ),
            (
                r#"{"tenants": [{"id": "a", "api_keys": [{"sha256": "HASH", "role": "dispatcher", "stations": [2, 2]}]}]}"#,
                "tenants[0].api_keys[0].stations: station 2 is named twice",
            ),
            (
                r#"{"tenants": [{"id": "a", "api_keys": [{"sha256": "HASH", "role": "dispatcher", "stations": [0]}]}]}"#,
                "tenants[0].api_keys[0].stations: station 0",
            ),
            (
                r#"{"tenants": [{"id": "a", "api_keys": [{"sha256": "HASH", "role": "admin", "stations": [1]}]}]}"#,
                "tenants[0].api_keys[0].stations: only a dispatcher",
            ),
            (r#"{"app": {"session_s": 0}}"#, "app.session_s"),
            (r#"{"app": {"session_s": 604801}}"#, "app.session_s"),
            (r#"{"app": {"clock_start": "25:00"}}"#, "app.clock_start"),
            (r#"{"app": {"clock_start": "abc"}}"#, "app.clock_start"),
            // A value of the wrong type is serde's error, with its place in the file.
            (r#"{"webhooks": {"every_s": -1}}"#, "line 1 column"),
        ] {
            let hash = sha256_hex("k");
            let json = json.replace("HASH", &hash);
            let json = json.as_str();
            let err = parse(json).expect_err(json);
            assert!(err.contains(field), "{json}: {err}");
        }
    }
}

/// The stations a dispatcher may see and control on the pages (`/app/station`): every
/// station of its tenant, or only those its credential names (the config's
/// `api_keys[].stations`, a JWT's `stations` claim, the demo user `dispatcher-<station>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stations {
    /// Every station of the tenant.
    All,
    /// Only these station ids (1 to [`MAX_STATIONS`], no repeats).
    Only(Vec<i64>),
}

/// The most stations one dispatcher's credential may name.
pub const MAX_STATIONS: usize = 256;

impl Stations {
    /// A credential's list (`None`: every station), checked: 1 to [`MAX_STATIONS`] positive
    /// ids, none twice; the error says what is wrong (the caller names the field).
    pub fn of(list: Option<&[i64]>) -> Result<Stations, String> {
        let Some(list) = list else {
            return Ok(Stations::All);
        };
        if list.is_empty() || list.len() > MAX_STATIONS {
            return Err(format!(
                "must name 1 to {MAX_STATIONS} stations (leave it out for every station)"
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for &id in list {
            if id <= 0 {
                return Err(format!("station {id} is not a station id (positive)"));
            }
            if !seen.insert(id) {
                return Err(format!("station {id} is named twice"));
            }
        }
        Ok(Stations::Only(list.to_vec()))
    }

    /// Whether the station is one of them.
    pub fn allows(&self, station: i64) -> bool {
        match self {
            Stations::All => true,
            Stations::Only(ids) => ids.contains(&station),
        }
    }

    /// The named stations (`None`: every station).
    pub fn named(&self) -> Option<&[i64]> {
        match self {
            Stations::All => None,
            Stations::Only(ids) => Some(ids),
        }
    }
}

/// How often a replica sweeps for lapsed days by default, milliseconds (the config's
/// `live_days.sweep_ms`).
pub const SWEEP_MS: u64 = 1_000;
/// The sweep interval a config may set, milliseconds.
pub const SWEEP_MS_RANGE: std::ops::RangeInclusive<u64> = 100..=60_000;
