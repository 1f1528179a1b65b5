//! The Customers service: customer value, churn risk, RFM scores and segments of a
//! transaction history. The handler checks and converts the history (external customer ids
//! to dense `CustomerId`s), runs `milkrun_forecast::customers::analyze_with` on a batch worker
//! thread, and converts the analysis back.
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use milkrun_forecast::customers::{
    analyze_with, AnalysisOptions, ClvOptions, CustomerError, CustomerId, Date, SegmentOptions,
    Split, Transaction,
};
use tonic::{Request, Response, Status};

use super::call::{grpc_unary, CallCtx};
use super::error::{ServiceError, Violations};
use super::forecast::{control, stopped, time_limit, MAX_ID_BYTES};
use super::proto::v1 as pb;
use super::state::ServiceState;
use super::workers::Lane;

/// Most transactions of one request.
pub const MAX_TRANSACTIONS: usize = 200_000;

fn date(field: &str, text: &str) -> Result<Date, ServiceError> {
    Date::parse_iso(text).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

fn optional_date(field: &str, text: &str) -> Result<Option<Date>, ServiceError> {
    if text.is_empty() {
        Ok(None)
    } else {
        date(field, text).map(Some)
    }
}

/// A customer-model error as the service's error, naming the request's field.
fn customer_error(e: CustomerError) -> ServiceError {
    match e {
        CustomerError::BadAmount { index, .. } => {
            ServiceError::invalid(format!("transactions[{index}].amount"), e.to_string())
        }
        CustomerError::BeforeCalibrationStart { index, .. } => {
            ServiceError::invalid(format!("transactions[{index}].date"), e.to_string())
        }
        CustomerError::HoldoutBeforeCalibration { .. } => {
            ServiceError::invalid("holdout_end", e.to_string())
        }
        CustomerError::BadOption { option, .. } => {
            let field = match option {
                "clv.months" => "clv_months",
                "clv.monthly_discount" => "monthly_discount",
                "segments" | "segments.segments" => "segments",
                other => other,
            };
            ServiceError::invalid(field, e.to_string())
        }
        CustomerError::Stopped(s) => stopped(s, "customer analysis"),
        CustomerError::EmptyLog
        | CustomerError::NoCustomers { .. }
        | CustomerError::FitFailed { .. } => ServiceError::invalid("transactions", e.to_string()),
        other => ServiceError::Internal(other.to_string()),
    }
}

/// Analyzes a history (unary).
pub async fn analyze(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::AnalyzeCustomersRequest,
) -> Result<pb::AnalyzeCustomersResponse, ServiceError> {
    if req.transactions.is_empty() || req.transactions.len() > MAX_TRANSACTIONS {
        return Err(ServiceError::invalid(
            "transactions",
            format!(
                "{} transactions, 1 to {MAX_TRANSACTIONS} accepted",
                req.transactions.len()
            ),
        ));
    }
    let max_s = state.quotas.max_time_limit_s(&ctx.identity.tenant)?;
    let limit = time_limit(req.time_limit_s, max_s, Some(&ctx))?;
    let opts = AnalysisOptions {
        split: Split {
            calibration_start: optional_date("calibration_start", &req.calibration_start)?,
            calibration_end: date("calibration_end", &req.calibration_end)?,
            holdout_end: optional_date("holdout_end", &req.holdout_end)?,
        },
        clv: ClvOptions {
            months: req.clv_months.unwrap_or(12),
            monthly_discount: req.monthly_discount.unwrap_or(0.01),
            ..ClvOptions::default()
        },
        segments: SegmentOptions {
            segments: match req.segments {
                0 => 4,
                k @ 2..=6 => k as usize,
                k => {
                    return Err(ServiceError::invalid(
                        "segments",
                        format!("{k} segments, 2 to 6 accepted"),
                    ))
                }
            },
            seed: req.seed,
            ..SegmentOptions::default()
        },
    };
    // External ids to dense indices, in sorted order (the answer is sorted by id).
    let mut v = Violations::default();
    let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
    for (i, t) in req.transactions.iter().enumerate() {
        if t.customer_id.is_empty() || t.customer_id.len() > MAX_ID_BYTES {
            v.add(
                format!("transactions[{i}].customer_id"),
                format!("1 to {MAX_ID_BYTES} bytes"),
            );
        }
        ids.insert(&t.customer_id, 0);
    }
    for (n, slot) in ids.values_mut().enumerate() {
        *slot = u32::try_from(n).unwrap_or(u32::MAX);
    }
    let mut log = Vec::with_capacity(req.transactions.len());
    for (i, t) in req.transactions.iter().enumerate() {
        if v.is_full() {
            break;
        }
        match Date::parse_iso(&t.date) {
            Ok(d) => log.push(Transaction {
                customer: CustomerId(ids[t.customer_id.as_str()]),
                date: d,
                amount: t.amount,
            }),
            Err(e) => v.add(format!("transactions[{i}].date"), e.to_string()),
        }
    }
    v.into_result()?;
    let names: Vec<String> = ids.keys().map(|s| (*s).to_string()).collect();
    let flag = Arc::new(AtomicBool::new(false));
    let cancel = super::call::CancelOnDrop(Arc::clone(&flag));
    let out = state
        .pool
        .run(Lane::Batch, move || {
            analyze_with(&log, &opts, &control(limit, flag, None)).map_err(customer_error)
        })
        .await?;
    drop(cancel);
    let a = out?;
    let customers = a
        .summaries
        .customers
        .iter()
        .zip(&a.predictions)
        .zip(&a.rfm)
        .zip(&a.segmentation.assignment)
        .map(|(((c, p), rfm), seg)| pb::CustomerValue {
            customer_id: names
                .get(c.customer.0 as usize)
                .cloned()
                .unwrap_or_default(),
            frequency: c.frequency,
            weeks_since_last_purchase: c.weeks_since_last_purchase(),
            probability_alive: p.probability_alive,
            churn_risk: 1.0 - p.probability_alive,
            expected_spend: p.expected_spend,
            clv: p.clv,
            rfm_recency: u32::from(rfm.recency),
            rfm_frequency: u32::from(rfm.frequency),
            rfm_monetary: u32::from(rfm.monetary),
            segment: u32::from(seg.0),
        })
        .collect();
    Ok(pb::AnalyzeCustomersResponse {
        customers,
        segments: a
            .segment_table
            .iter()
            .map(|s| pb::CustomerSegment {
                segment: u32::from(s.id.0),
                label: s.label.to_string(),
                size: u32::try_from(s.size).unwrap_or(u32::MAX),
                mean_clv: s.mean_clv,
                mean_probability_alive: s.mean_probability_alive,
                churn_risk: s.churn_risk,
                mean_frequency: s.mean_frequency,
                mean_weeks_since_last_purchase: s.mean_weeks_since_last_purchase,
                mean_spend: s.mean_spend,
            })
            .collect(),
        mean_clv: a.mean_clv,
        mean_probability_alive: a.mean_probability_alive,
        holdout_only_customers: u32::try_from(a.summaries.holdout_only_customers)
            .unwrap_or(u32::MAX),
    })
}

/// The gRPC face of the Customers service.
#[derive(Debug, Clone)]
pub struct CustomersGrpc {
    /// The shared state.
    pub state: Arc<ServiceState>,
}

#[tonic::async_trait]
impl pb::customers_server::Customers for CustomersGrpc {
    async fn analyze(
        &self,
        r: Request<pb::AnalyzeCustomersRequest>,
    ) -> Result<Response<pb::AnalyzeCustomersResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Customers/Analyze", r, |ctx, m| {
            analyze(state, ctx, m)
        })
        .await
    }
}
