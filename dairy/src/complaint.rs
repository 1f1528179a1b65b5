//! Complaints, pure: what a household files (about one of its orders or in general, a
//! category and a bounded text), the states a complaint goes through (open, escalated,
//! resolved) and the tenant's SLA after which an open complaint is escalated. "Now" is a
//! parameter; the store escalates every overdue complaint once.
use milkrun_calendar::{format_hms, Date};

use crate::calendar::Moment;
use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};
use crate::ids::{ComplaintId, HouseholdId, OrderId};
use crate::outbox::{OutboxMessage, Topic};

/// The most bytes of a complaint's text.
pub const MAX_TEXT_BYTES: usize = 2_000;
/// The shortest SLA, in seconds (one minute).
pub const MIN_SLA_S: i64 = 60;
/// The longest SLA, in seconds (30 days).
pub const MAX_SLA_S: i64 = 30 * 86_400;

/// What a complaint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintCategory {
    /// The milk came late.
    Late,
    /// Nothing came.
    Missing,
    /// It came damaged or spoilt.
    Damaged,
    /// Another product or quantity came.
    WrongProduct,
    /// The courier's conduct.
    Courier,
    /// Prices, payments, credits.
    Billing,
    /// Anything else.
    Other,
}

impl ComplaintCategory {
    /// Every category.
    pub const ALL: [ComplaintCategory; 7] = [
        ComplaintCategory::Late,
        ComplaintCategory::Missing,
        ComplaintCategory::Damaged,
        ComplaintCategory::WrongProduct,
        ComplaintCategory::Courier,
        ComplaintCategory::Billing,
        ComplaintCategory::Other,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintCategory::Late => "late",
            ComplaintCategory::Missing => "missing",
            ComplaintCategory::Damaged => "damaged",
            ComplaintCategory::WrongProduct => "wrong_product",
            ComplaintCategory::Courier => "courier",
            ComplaintCategory::Billing => "billing",
            ComplaintCategory::Other => "other",
        }
    }

    /// The category of a name.
    pub fn parse(name: &str) -> Result<ComplaintCategory, DairyError> {
        ComplaintCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| invalid("complaint.category", format!("unknown category `{name}`")))
    }
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintState {
    /// Filed, not yet handled.
    Open,
    /// Open past the SLA (or escalated by hand): someone senior handles it.
    Escalated,
    /// Handled; final.
    Resolved,
}

impl ComplaintState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintState::Open => "open",
            ComplaintState::Escalated => "escalated",
            ComplaintState::Resolved => "resolved",
        }
    }

    /// The state of a stored name.
    pub fn parse(name: &str) -> Result<ComplaintState, DairyError> {
        [
            ComplaintState::Open,
            ComplaintState::Escalated,
            ComplaintState::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| invalid("complaint.state", format!("unknown state `{name}`")))
    }

    /// Whether moving from `self` to `to` changes anything: `Ok(true)` for open -> escalated,
    /// open -> resolved and escalated -> resolved, `Ok(false)` for a repeat (escalated twice,
    /// resolved twice), an error naming `complaint.state` for going back.
    pub fn move_to(self, to: ComplaintState) -> Result<bool, DairyError> {
        use ComplaintState::*;
        match (self, to) {
            (Open, Escalated) | (Open, Resolved) | (Escalated, Resolved) => Ok(true),
            (a, b) if a == b && a != Open => Ok(false),
            (a, b) => Err(invalid(
                "complaint.state",
                format!(
                    "a complaint cannot go from {} to {}",
                    a.as_str(),
                    b.as_str()
                ),
            )),
        }
    }
}

/// A complaint as a household files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintFiling {
    /// The customer app's key for this filing: filing again with it gives the same complaint.
    pub key: DedupeKey,
    /// The household complaining.
    pub household: HouseholdId,
    /// The order it is about (one of the household's), `None` for a general complaint.
    pub order: Option<OrderId>,
    /// What it is about.
    pub category: ComplaintCategory,
    /// What the customer wrote: trimmed, 1..=[`MAX_TEXT_BYTES`] bytes, no control characters
    /// but line breaks and tabs.
    pub text: String,
}

impl ComplaintFiling {
    /// A checked filing.
    pub fn new(
        key: DedupeKey,
        household: HouseholdId,
        order: Option<OrderId>,
        category: ComplaintCategory,
        text: &str,
    ) -> Result<ComplaintFiling, DairyError> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_TEXT_BYTES {
            return Err(invalid(
                "complaint.text",
                format!("must have 1 to {MAX_TEXT_BYTES} bytes"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(invalid(
                "complaint.text",
                "has control characters other than line breaks and tabs",
            ));
        }
        Ok(ComplaintFiling {
            key,
            household,
            order,
            category,
            text: text.to_owned(),
        })
    }
}

/// A stored complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// Its id.
    pub id: ComplaintId,
    /// The household that filed it.
    pub household: HouseholdId,
    /// The order it is about, if any.
    pub order: Option<OrderId>,
    /// What it is about.
    pub category: ComplaintCategory,
    /// What the customer wrote.
    pub text: String,
    /// Where it stands.
    pub state: ComplaintState,
    /// When it was filed.
    pub filed_at: Moment,
    /// When it was escalated, if it was.
    pub escalated_at: Option<Moment>,
    /// When it was resolved, if it was.
    pub resolved_at: Option<Moment>,
}

/// How long a complaint may stay open before it is escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintSla {
    /// Seconds from filing ([`MIN_SLA_S`]..=[`MAX_SLA_S`]).
    pub escalate_after_s: i64,
}

impl ComplaintSla {
    /// A checked SLA.
    pub fn new(escalate_after_s: i64) -> Result<ComplaintSla, DairyError> {
        if !(MIN_SLA_S..=MAX_SLA_S).contains(&escalate_after_s) {
            return Err(invalid(
                "care.complaint_sla_s",
                format!("must be {MIN_SLA_S}..={MAX_SLA_S}"),
            ));
        }
        Ok(ComplaintSla { escalate_after_s })
    }

    /// Whether a complaint filed at `filed_at` and still open is overdue at `now`: the SLA has
    /// fully passed (at exactly the SLA it is overdue).
    pub fn is_overdue(self, filed_at: Moment, now: Moment) -> bool {
        instant_s(filed_at) <= self.latest_overdue_filing_s(now)
    }

    /// The latest filing instant ([`instant_s`]) that is overdue at `now`; the store escalates
    /// open complaints filed at or before it.
    pub fn latest_overdue_filing_s(self, now: Moment) -> i64 {
        instant_s(now) - self.escalate_after_s
    }
}

/// A moment as seconds since 1970-01-01 00:00 of the tenant's local calendar: the order of
/// moments, with differences in seconds (no time zones, no leap seconds).
pub fn instant_s(m: Moment) -> i64 {
    i64::from(m.date.days_since_epoch()) * 86_400 + m.second_of_day
}

/// The moment of an [`instant_s`] value.
pub fn moment_of(instant_s: i64) -> Result<Moment, DairyError> {
    let days = i32::try_from(instant_s.div_euclid(86_400))
        .map_err(|_| invalid("complaint.instant", "outside the calendar"))?;
    Moment::new(
        Date::from_days_since_epoch(days),
        instant_s.rem_euclid(86_400),
    )
}

/// The message telling the company that complaint `c` was escalated at `now`; its key is
/// `complaint-escalated:{id}`, so escalating twice sends one message.
pub fn escalation_message(c: &Complaint, now: Moment) -> Result<OutboxMessage, DairyError> {
    let key = DedupeKey::new(&format!("complaint-escalated:{}", c.id))?;
    let order = c.order.map_or("null".to_owned(), |o| o.to_string());
    let payload = format!(
        "{{\"complaint_id\":{},\"household_id\":{},\"order_id\":{order},\"category\":\"{}\",\
         \"filed_at\":\"{} {}\",\"escalated_at\":\"{} {}\"}}",
        c.id,
        c.household,
        c.category.as_str(),
        c.filed_at.date,
        format_hms(c.filed_at.second_of_day),
        now.date,
        format_hms(now.second_of_day),
    );
    OutboxMessage::new(key, Topic::ComplaintEscalated, payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn at(day: &str, s: i64) -> Result<Moment, Box<dyn std::error::Error>> {
        Ok(Moment::new(Date::parse_iso(day)?, s)?)
    }

    /// A 24-hour SLA: a complaint filed at 10:00 is not overdue at 09:59:59 the next day, is
    /// at 10:00:00, and the store's bound agrees with the check; across a month end too.
    #[test]
    fn sla_is_a_pure_function_of_now() -> TestResult {
        let sla = ComplaintSla::new(86_400)?;
        let filed = at("2028-02-29", 36_000)?;
        assert!(!sla.is_overdue(filed, at("2028-03-01", 35_999)?));
        assert!(sla.is_overdue(filed, at("2028-03-01", 36_000)?));
        assert_eq!(
            sla.latest_overdue_filing_s(at("2028-03-01", 36_000)?),
            instant_s(filed)
        );
        assert_eq!(moment_of(instant_s(filed))?, filed);
        assert!(ComplaintSla::new(59).is_err());
        assert!(ComplaintSla::new(MAX_SLA_S + 1).is_err());
        Ok(())
    }

    /// Open -> escalated -> resolved moves; repeats change nothing; going back is refused.
    #[test]
    fn states_move_forward_only() {
        use ComplaintState::*;
        assert_eq!(Open.move_to(Escalated), Ok(true));
        assert_eq!(Escalated.move_to(Resolved), Ok(true));
        assert_eq!(Open.move_to(Resolved), Ok(true));
        assert_eq!(Escalated.move_to(Escalated), Ok(false));
        assert_eq!(Resolved.move_to(Resolved), Ok(false));
        assert!(Resolved.move_to(Escalated).is_err());
        assert!(Escalated.move_to(Open).is_err());
        assert!(Open.move_to(Open).is_err());
        for name in ["open", "escalated", "resolved"] {
            assert_eq!(ComplaintState::parse(name).map(|s| s.as_str()), Ok(name));
        }
    }

    /// Texts are trimmed and bounded; control characters and unknown categories are refused.
    #[test]
    fn filings_are_checked() -> TestResult {
        let key = DedupeKey::new("app:1")?;
        let mk = |text: &str| {
            ComplaintFiling::new(
                key.clone(),
                HouseholdId(1),
                None,
                ComplaintCategory::Late,
                text,
            )
        };
        assert_eq!(mk("  late again\n")?.text, "late again");
        assert!(mk("   ").is_err());
        assert!(mk(&"x".repeat(MAX_TEXT_BYTES + 1)).is_err());
        assert!(mk(&"x".repeat(MAX_TEXT_BYTES)).is_ok());
        assert!(mk("bell\u{7}").is_err());
        for c in ComplaintCategory::ALL {
            assert_eq!(ComplaintCategory::parse(c.as_str()), Ok(c));
        }
        assert!(ComplaintCategory::parse("weather").is_err());
        Ok(())
    }
}
