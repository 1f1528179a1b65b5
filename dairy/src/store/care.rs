//! A tenant's care settings, and the alerts: delivery delays and complaint spikes, each once
//! per (kind, subject, day) through the outbox.
use milkrun_calendar::Date;
use sqlx::Row;

use super::outbox::enqueue_on;
use super::{date_text, parse_date, to_u32, Store, StoreError};
use crate::alert::SpikeRule;
use crate::alert::{complaint_spike, delay_alert, due_s, is_delayed, spike_alert, Spike};
use crate::calendar::Moment;
use crate::care::CareSettings;
use crate::complaint::ComplaintSla;
use crate::ids::{HouseholdId, OrderId, TenantId};

/// What an alert sweep did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertRun {
    /// Alerts found due (whether enqueued now or by an earlier run).
    pub due: usize,
    /// Alerts this run added to the outbox (0 on a rerun).
    pub enqueued: usize,
}

impl Store {
    /// Sets (or replaces) the tenant's care settings.
    pub async fn set_care_settings(
        &self,
        tenant: TenantId,
        s: &CareSettings,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO care_settings (tenant_id, renewal_days_before, complaint_sla_s, \
             spike_threshold, spike_factor_pct, spike_trailing_days) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO UPDATE SET \
             renewal_days_before = excluded.renewal_days_before, \
             complaint_sla_s = excluded.complaint_sla_s, \
             spike_threshold = excluded.spike_threshold, \
             spike_factor_pct = excluded.spike_factor_pct, \
             spike_trailing_days = excluded.spike_trailing_days",
        )
        .bind(tenant.0)
        .bind(i64::from(s.renewal_days_before))
        .bind(s.complaint_sla.escalate_after_s)
        .bind(i64::from(s.spike.threshold))
        .bind(i64::from(s.spike.factor_pct))
        .bind(i64::from(s.spike.trailing_days))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's care settings; [`CareSettings::DEFAULT`] when none were set. An unknown
    /// tenant is an error.
    pub async fn care_settings(&self, tenant: TenantId) -> Result<CareSettings, StoreError> {
        let row = sqlx::query(
            "SELECT t.tenant_id AS tenant_id, c.renewal_days_before AS renewal_days_before, \
             c.complaint_sla_s AS complaint_sla_s, c.spike_threshold AS spike_threshold, \
             c.spike_factor_pct AS spike_factor_pct, c.spike_trailing_days AS spike_trailing_days \
             FROM tenants t LEFT JOIN care_settings c ON c.tenant_id = t.tenant_id \
             WHERE t.tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            tenant,
            what: "tenant",
            id: tenant.0,
        })?;
        let Some(days) = row.try_get::<Option<i64>, _>("renewal_days_before")? else {
            return Ok(CareSettings::DEFAULT);
        };
        let count = |v: i64, field| to_u32(v, field);
        Ok(CareSettings::new(
            count(days, "care_settings.renewal_days_before")?,
            ComplaintSla::new(row.try_get("complaint_sla_s")?)?,
            SpikeRule::new(
                count(
                    row.try_get("spike_threshold")?,
                    "care_settings.spike_threshold",
                )?,
                count(
                    row.try_get("spike_factor_pct")?,
                    "care_settings.spike_factor_pct",
                )?,
                count(
                    row.try_get("spike_trailing_days")?,
                    "care_settings.spike_trailing_days",
                )?,
            )?,
        )?)
    }

    /// Raises an alert for every order of `now`'s day that has no outcome yet and is past its
    /// due time: the end of its household's delivery window (this store keeps no promised
    /// arrival windows yet; [`due_s`] takes one when it does). Once per order and day.
    pub async fn raise_delay_alerts(
        &self,
        tenant: TenantId,
        now: Moment,
    ) -> Result<AlertRun, StoreError> {
        let day = now.date;
        let rows = sqlx::query(
            "SELECT o.order_id AS order_id, o.household_id AS household_id, \
             h.window_end_s AS window_end_s \
             FROM orders o \
             JOIN households h ON h.tenant_id = o.tenant_id AND h.household_id = o.household_id \
             LEFT JOIN order_outcomes r ON r.tenant_id = o.tenant_id AND r.order_id = o.order_id \
             WHERE o.tenant_id = $1 AND o.delivery_date = $2 AND r.order_id IS NULL \
             AND h.window_end_s < $3 ORDER BY o.order_id",
        )
        .bind(tenant.0)
        .bind(date_text(day))
        .bind(now.second_of_day)
        .fetch_all(&self.pool)
        .await?;
        let mut run = AlertRun::default();
        let mut tx = self.begin_write().await?;
        for r in &rows {
            let due = due_s(None, r.try_get("window_end_s")?);
            if !is_delayed(day, due, now) {
                continue;
            }
            let m = delay_alert(
                OrderId(r.try_get("order_id")?),
                HouseholdId(r.try_get("household_id")?),
                day,
                due,
                now,
            )?;
            run.due += 1;
            run.enqueued += usize::from(enqueue_on(&mut tx, tenant, &m).await?);
        }
        tx.commit().await?;
        Ok(run)
    }

    /// Raises the complaint-spike alert of `day` if the complaints filed that day are a spike
    /// under the tenant's rule, against the `trailing_days` days before it (days without a
    /// complaint count as zero). Once per day. Returns the spike, if it is one.
    pub async fn raise_spike_alert(
        &self,
        tenant: TenantId,
        day: Date,
    ) -> Result<(Option<Spike>, AlertRun), StoreError> {
        let rule = self.care_settings(tenant).await?.spike;
        let first = day.add_days(-(rule.trailing_days as i32));
        let rows = sqlx::query(
            "SELECT filed_date, COUNT(*) AS n FROM complaints \
             WHERE tenant_id = $1 AND filed_date >= $2 AND filed_date <= $3 \
             GROUP BY filed_date",
        )
        .bind(tenant.0)
        .bind(date_text(first))
        .bind(date_text(day))
        .fetch_all(&self.pool)
        .await?;
        let mut trailing = vec![0u32; rule.trailing_days as usize];
        let mut count = 0;
        for r in &rows {
            let d = parse_date(
                &r.try_get::<String, _>("filed_date")?,
                "complaints.filed_date",
            )?;
            let n = to_u32(r.try_get("n")?, "complaint count")?;
            if d == day {
                count = n;
            } else if let Ok(i) = usize::try_from(d.days_since(first)) {
                if let Some(slot) = trailing.get_mut(i) {
                    *slot = n;
                }
            }
        }
        let mut run = AlertRun::default();
        let spike = complaint_spike(rule, count, &trailing);
        if let Some(s) = spike {
            run.due = 1;
            let mut conn = self.pool.acquire().await?;
            run.enqueued = usize::from(enqueue_on(&mut conn, tenant, &spike_alert(day, s)?).await?);
        }
        Ok((spike, run))
    }
}
