//! Outbox messages, pure: what to tell customers, couriers and webhooks, each with a dedupe
//! key so that enqueueing it again (a replay, a crash re-run) adds no second row.
use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};

/// The most bytes of a message's payload.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A delivery failed and what the customer gets instead.
    MissedDelivery,
    /// A subscription ends soon.
    RenewalReminder,
    /// Tomorrow's promised arrival window.
    ArrivalWindow,
    /// A station runs low on a product ([`crate::stock::LowStock`]).
    LowStock,
    /// A complaint passed the tenant's SLA and was escalated.
    ComplaintEscalated,
    /// An alert to the company (a delivery delay, a complaint spike).
    Alert,
    /// A promotion offered to a customer of its segment ([`crate::promotion`]).
    Promotion,
    /// A promotion the courier serving its targeted households may mention.
    PromotionCourier,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 8] = [
        Topic::MissedDelivery,
        Topic::RenewalReminder,
        Topic::ArrivalWindow,
        Topic::LowStock,
        Topic::ComplaintEscalated,
        Topic::Alert,
        Topic::Promotion,
        Topic::PromotionCourier,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::MissedDelivery => "missed_delivery",
            Topic::RenewalReminder => "renewal_reminder",
            Topic::ArrivalWindow => "arrival_window",
            Topic::LowStock => "low_stock",
            Topic::ComplaintEscalated => "complaint_escalated",
            Topic::Alert => "alert",
            Topic::Promotion => "promotion",
            Topic::PromotionCourier => "promotion_courier",
        }
    }

    /// The topic of a stored name.
    pub fn parse(name: &str) -> Result<Topic, DairyError> {
        Topic::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| invalid("outbox.topic", format!("unknown topic `{name}`")))
    }
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Unique per tenant.
    pub key: DedupeKey,
    /// What it is about.
    pub topic: Topic,
    /// The body (for example JSON), at most [`MAX_PAYLOAD_BYTES`].
    pub payload: String,
}

impl OutboxMessage {
    /// A checked message.
    pub fn new(key: DedupeKey, topic: Topic, payload: String) -> Result<OutboxMessage, DairyError> {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(invalid(
                "outbox.payload",
                format!("longer than {MAX_PAYLOAD_BYTES} bytes"),
            ));
        }
        Ok(OutboxMessage {
            key,
            topic,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Topic names round-trip; an oversized payload is refused.
    #[test]
    fn topics_and_payloads() -> Result<(), DairyError> {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Ok(t));
        }
        assert!(Topic::parse("spam").is_err());
        let key = DedupeKey::new("k1")?;
        assert!(OutboxMessage::new(
            key,
            Topic::RenewalReminder,
            "x".repeat(MAX_PAYLOAD_BYTES + 1)
        )
        .is_err());
        Ok(())
    }
}
