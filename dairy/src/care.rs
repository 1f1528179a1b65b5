//! A tenant's care settings: how many days before a subscription ends its customer hears
//! about renewal, how long a complaint may stay open before it is escalated, and when the
//! day's complaints count as a spike. Pure; the store keeps one row per tenant and falls back
//! to [`CareSettings::DEFAULT`].
use crate::alert::SpikeRule;
use crate::complaint::ComplaintSla;
use crate::error::{invalid, DairyError};

/// The most days before a term end a renewal reminder may go out.
pub const MAX_RENEWAL_DAYS_BEFORE: u32 = 60;

/// A tenant's settings for renewals, complaints and complaint-spike alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CareSettings {
    /// A renewal reminder goes out this many days (0..=[`MAX_RENEWAL_DAYS_BEFORE`]) before the
    /// subscription's last delivery, or on any later day up to it.
    pub renewal_days_before: u32,
    /// When an open complaint is escalated.
    pub complaint_sla: ComplaintSla,
    /// When a day's complaints raise a spike alert.
    pub spike: SpikeRule,
}

impl CareSettings {
    /// Three days' notice of renewal, escalation after 48 hours, and a spike alert above 10
    /// complaints a day or above 3 times the median of the 28 days before.
    pub const DEFAULT: CareSettings = CareSettings {
        renewal_days_before: 3,
        complaint_sla: ComplaintSla {
            escalate_after_s: 48 * 3600,
        },
        spike: SpikeRule {
            threshold: 10,
            factor_pct: 300,
            trailing_days: 28,
        },
    };

    /// Checked settings.
    pub fn new(
        renewal_days_before: u32,
        complaint_sla: ComplaintSla,
        spike: SpikeRule,
    ) -> Result<CareSettings, DairyError> {
        if renewal_days_before > MAX_RENEWAL_DAYS_BEFORE {
            return Err(invalid(
                "care.renewal_days_before",
                format!("must be 0..={MAX_RENEWAL_DAYS_BEFORE}"),
            ));
        }
        Ok(CareSettings {
            renewal_days_before,
            complaint_sla,
            spike,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults pass their own checks; too long a notice is refused, naming the field.
    #[test]
    fn settings_are_checked() -> Result<(), DairyError> {
        let d = CareSettings::DEFAULT;
        let again = CareSettings::new(
            d.renewal_days_before,
            ComplaintSla::new(d.complaint_sla.escalate_after_s)?,
            SpikeRule::new(d.spike.threshold, d.spike.factor_pct, d.spike.trailing_days)?,
        )?;
        assert_eq!(again, d);
        assert!(matches!(
            CareSettings::new(61, d.complaint_sla, d.spike),
            Err(DairyError::Invalid {
                field: "care.renewal_days_before",
                ..
            })
        ));
        Ok(())
    }
}
