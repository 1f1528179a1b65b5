//! Renewal reminders: one outbox message per subscription and term end, enqueued from N days
//! (the tenant's setting) before the term's last delivery; a rerun adds no row. And the
//! renewal itself: the next term as a new subscription ([`Store::renew_subscription`]).
use milkrun_calendar::Date;

use super::outbox::enqueue_on;
use super::subscriptions::{subscription_from_row, COLUMNS};
use super::{date_text, Store, StoreError};
use crate::calendar::Moment;
use crate::ids::{SubscriptionId, TenantId};
use crate::renewal::{next_term, reminder_due, reminder_message, term_end};
use crate::subscription::Subscription;

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

    /// Renews a subscription at `now`: its next term ([`next_term`]) starts the day after its
    /// current term's last delivery, or on the first day a change made now applies to. The
    /// new subscription gets the tenant's next subscription id. Renewing the same term again
    /// changes nothing and returns the subscription made the first time (`false`): a
    /// subscription of the same household and package starting that day counts as it.
    pub async fn renew_subscription(
        &self,
        tenant: TenantId,
        subscription: SubscriptionId,
        now: Moment,
    ) -> Result<(Subscription, bool), StoreError> {
        let sub = self.subscription(tenant, subscription).await?;
        let package = self.package(tenant, sub.package).await?;
        let ops = self.operations(tenant, subscription).await?;
        let end = term_end(&sub, package.product, &ops, now.date)?;
        let first_open = self.cutoff(tenant).await?.first_open_date(now);
        // The id is replaced below; the term is checked here, before the transaction.
        let planned = next_term(&sub, &package, end, first_open, sub.id)?;
        let mut tx = self.begin_write().await?;
        let same = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND household_id = $2 \
             AND package_id = $3 AND start_date = $4 ORDER BY subscription_id LIMIT 1"
        ))
        .bind(tenant.0)
        .bind(sub.household.0)
        .bind(sub.package.0)
        .bind(date_text(planned.start))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = same {
            tx.rollback().await?;
            return Ok((subscription_from_row(&row)?, false));
        }
        let id = super::subscriptions::next_id_on(&mut tx, tenant, "renewal.subscription").await?;
        let next = Subscription { id, ..planned };
        super::subscriptions::insert_on(&mut tx, tenant, &next).await?;
        tx.commit().await?;
        Ok((next, true))
    }
}
