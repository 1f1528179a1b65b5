//! A tenant (one dairy company) and its settings: the calendar cut-off and the exception
//! policy.
use crate::calendar::CutOff;
use crate::error::{invalid, DairyError};
use crate::exception::ExceptionPolicy;
use crate::ids::TenantId;

/// A dairy company and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant's id.
    pub id: TenantId,
    /// Its name; not empty.
    pub name: String,
    /// When calendar changes close.
    pub cutoff: CutOff,
    /// What failed deliveries become.
    pub policy: ExceptionPolicy,
}

impl Tenant {
    /// A tenant with a checked name.
    pub fn new(
        id: TenantId,
        name: &str,
        cutoff: CutOff,
        policy: ExceptionPolicy,
    ) -> Result<Tenant, DairyError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(invalid("tenant.name", "must have 1 to 200 bytes"));
        }
        Ok(Tenant {
            id,
            name: name.to_owned(),
            cutoff,
            policy,
        })
    }
}
