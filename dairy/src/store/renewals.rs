//! Renewal reminders: one outbox message per subscription and term end, enqueued from N days
//! (the tenant's setting) before the term's last delivery; a rerun adds no row.
use milkrun_calendar::Date;

use super::outbox::enqueue_on;
use super::{Store, StoreError};
use crate::ids::TenantId;
use crate::renewal::{reminder_due, reminder_message, term_end};

/// What a renewal sweep did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenewalRun {
    /// Subscriptions whose reminder is due today (whether enqueued now or before).
    pub due: usize,
    /// Reminders this run added to the outbox (0 on a rerun).
    pub enqueued: usize,
}

impl Store {
    /// Enqueues the renewal reminders due on `today`: for every subscription whose last
    /// regular delivery (given its calendar) lies within the tenant's `renewal_days_before`
    /// days from `today`, one message keyed `renewal:{subscription}:{last day}`, all in one
    /// transaction.
    pub async fn enqueue_renewal_reminders(
        &self,
        tenant: TenantId,
        today: Date,
    ) -> Result<RenewalRun, StoreError> {
        let days_before = self.care_settings(tenant).await?.renewal_days_before;
        let started_by = today.add_days(days_before as i32);
        let subs = self.subscription_days(tenant, started_by).await?;
        let mut messages = Vec::new();
        for s in &subs {
            let Some(end) = term_end(&s.subscription, s.product, &s.ops, today)? else {
                continue;
            };
            if reminder_due(end, today, days_before) {
                messages.push(reminder_message(
                    s.subscription.id,
                    s.subscription.household,
                    end,
                    today,
                )?);
            }
        }
        let mut run = RenewalRun {
            due: messages.len(),
            enqueued: 0,
        };
        let mut tx = self.begin_write().await?;
        for m in &messages {
            run.enqueued += usize::from(enqueue_on(&mut tx, tenant, m).await?);
        }
        tx.commit().await?;
        Ok(run)
    }
}
