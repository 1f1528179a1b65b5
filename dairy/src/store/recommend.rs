//! A customer's recommendations: reads what [`crate::recommend::recommend`] needs (the recent
//! weeks' consumption, the subscriptions' term ends, the offers the customer was told of and
//! which of them were taken, the renewal notice and the cut-off) and runs it.
use super::{Store, StoreError};
use crate::calendar::Moment;
use crate::consumption::MIN_WEEKS;
use crate::ids::{CustomerId, TenantId};
use crate::promotion::is_taken;
use crate::recommend::{
    recommend, CustomerOutlook, Recommendation, SubscriptionOutlook, MIN_HISTORY_WEEKS,
    RECENT_WEEKS,
};
use crate::renewal::term_end;

impl Store {
    /// The recommendations for one of the tenant's customers at `now`; a customer the tenant
    /// does not have is [`StoreError::NotFound`].
    pub async fn recommendations(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        now: Moment,
    ) -> Result<Vec<Recommendation>, StoreError> {
        let today = now.date;
        let use_ = self
            .customer_consumption(
                tenant,
                customer,
                today.add_days(1 - 7 * RECENT_WEEKS),
                today,
            )
            .await?;
        // The history: the whole weeks from the first with a delivery on; with enough of
        // it, the class over those weeks only (the empty weeks before do not make a trend).
        let first = use_.weeks.iter().position(|w| w.units > 0);
        let history_weeks = first.map_or(0, |k| {
            use_.weeks[k..].iter().filter(|w| w.days == 7).count()
        });
        let class = match first {
            Some(k) if k > 0 && history_weeks >= MIN_HISTORY_WEEKS.max(MIN_WEEKS) => {
                self.customer_consumption(tenant, customer, use_.weeks[k].start, today)
                    .await?
                    .class
            }
            _ => use_.class,
        };
        let mut subscriptions = Vec::new();
        let mut starts = Vec::new();
        let mut all_ops = Vec::new();
        for s in self.subscriptions_of_customer(tenant, customer).await? {
            let package = self.package(tenant, s.package).await?;
            let ops = self.operations(tenant, s.id).await?;
            subscriptions.push(SubscriptionOutlook {
                subscription: s.id,
                quantity: s.quantity,
                term_end: term_end(&s, package.product, &ops, today)?,
            });
            starts.push((s.package, s.start));
            all_ops.extend(ops);
        }
        let offers = self.offers_for_customer(tenant, customer, today).await?;
        let taken = offers
            .iter()
            .filter(|p| is_taken(p, &starts, &all_ops))
            .map(|p| p.id)
            .collect();
        let outlook = CustomerOutlook {
            today,
            first_open: self.cutoff(tenant).await?.first_open_date(now),
            renewal_days_before: self.care_settings(tenant).await?.renewal_days_before,
            class,
            history_weeks,
            subscriptions,
            offers,
            taken,
        };
        Ok(recommend(&outlook))
    }
}
