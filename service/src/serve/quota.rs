//! Per-tenant quotas: a token bucket for the request rate, a semaphore for concurrent solves,
//! and the size limits checked before any work.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::config::{Quotas, ServeConfig, TenantId};
use super::error::ServiceError;

/// A token bucket: `rate` tokens per second, at most `burst` stored.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// One tenant's quota state.
#[derive(Debug)]
pub struct TenantQuota {
    /// The limits.
    pub limits: Quotas,
    bucket: Mutex<Bucket>,
    solves: Arc<Semaphore>,
}

impl TenantQuota {
    fn new(limits: Quotas) -> TenantQuota {
        TenantQuota {
            bucket: Mutex::new(Bucket {
                tokens: f64::from(limits.burst),
                last: Instant::now(),
            }),
            solves: Arc::new(Semaphore::new(limits.concurrent_solves as usize)),
            limits,
        }
    }

    /// Takes one request token, or says how long until one is there.
    pub fn admit(&self) -> Result<(), ServiceError> {
        let mut b = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let rate = self.limits.requests_per_second;
        let refill = now.duration_since(b.last).as_secs_f64() * rate;
        b.tokens = (b.tokens + refill).min(f64::from(self.limits.burst));
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        let wait_s = ((1.0 - b.tokens) / rate).clamp(0.001, 86_400.0);
        Err(ServiceError::Exhausted {
            what: format!("requests_per_second ({rate})"),
            retry_after: Duration::from_secs_f64(wait_s),
        })
    }

    /// A permit for one solve, held until dropped.
    pub fn solve_permit(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        Arc::clone(&self.solves)
            .try_acquire_owned()
            .map_err(|_| ServiceError::Exhausted {
                what: format!("concurrent_solves ({})", self.limits.concurrent_solves),
                retry_after: Duration::from_secs(1),
            })
    }

    /// Checks a count against a size quota.
    pub fn check_size(subject: &'static str, found: u64, limit: u64) -> Result<(), ServiceError> {
        if found <= limit {
            Ok(())
        } else {
            Err(ServiceError::OverQuota {
                subject,
                description: format!("{found} requested, the tenant's limit is {limit}"),
            })
        }
    }
}

/// The quota state of every tenant.
#[derive(Debug)]
pub struct QuotaBook {
    tenants: HashMap<TenantId, TenantQuota>,
}

impl QuotaBook {
    /// One state per configured tenant.
    pub fn new(config: &ServeConfig) -> QuotaBook {
        QuotaBook {
            tenants: config
                .tenants
                .iter()
                .map(|t| (t.id.clone(), TenantQuota::new(t.quotas.clone())))
                .collect(),
        }
    }

    /// The tenant's quota state (every authenticated tenant has one).
    pub fn tenant(&self, id: &TenantId) -> Result<&TenantQuota, ServiceError> {
        self.tenants
            .get(id)
            .ok_or_else(|| ServiceError::Internal(format!("tenant {id} has no quota state")))
    }

    /// The longest time limit, in seconds, the tenant's calls may ask for.
    pub fn max_time_limit_s(&self, id: &TenantId) -> Result<f64, ServiceError> {
        Ok(self.tenant(id)?.limits.max_time_limit_s)
    }
}
