//! `milkrun customers`: customer value (BG/NBD + Gamma-Gamma CLV), churn risk and segments from
//! a transaction log. Thin: reads the CSV, calls `milkrun_forecast::customers::analyze`,
//! prints one JSON object and writes two CSV files.
use std::fs::File;
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;
use milkrun_forecast::customers::io::{read_transactions_csv, TransactionLog};
use milkrun_forecast::customers::{
    analyze, Analysis, AnalysisOptions, ClvOptions, CustomerError, Date, SegmentOptions, Split,
};
use serde_json::json;

/// Options of `milkrun customers`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Transaction log CSV with a header: `customer_id,date,amount` (dates `YYYY-MM-DD`, extra
    /// columns ignored). Without an `amount` column, `dollar_value` is used (the CDNOW file).
    #[arg(long)]
    pub transactions: PathBuf,
    /// Last day of the calibration period (inclusive), `YYYY-MM-DD`. Later transactions form
    /// the holdout period.
    #[arg(long, value_parser = parse_date)]
    pub calibration_end: Date,
    /// First day of the calibration period; an earlier transaction is an error. Default: none.
    #[arg(long, value_parser = parse_date)]
    pub calibration_start: Option<Date>,
    /// Last day of the holdout period (later transactions are ignored). Default: last date in
    /// the log.
    #[arg(long, value_parser = parse_date)]
    pub holdout_end: Option<Date>,
    /// Directory for `predictions.csv` (one row per customer) and `segments.csv`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CLV horizon in months.
    #[arg(long, default_value_t = 12)]
    pub clv_months: u32,
    /// Monthly discount rate for CLV (0.01 = 1 %).
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub discount: f64,
    /// Number of k-means segments (2..=6).
    #[arg(long, default_value_t = 4)]
    pub segments: usize,
    /// Seed of the k-means initialisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse_iso(text).map_err(|e| e.to_string())
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let path = opts.transactions.display().to_string();
    let file = File::open(&opts.transactions).with_context(|| format!("cannot open {path}"))?;
    let log = read_transactions_csv(file).map_err(|e| anyhow!("{path}: {e}"))?;
    let analysis_opts = AnalysisOptions {
        split: Split {
            calibration_start: opts.calibration_start,
            calibration_end: opts.calibration_end,
            holdout_end: opts.holdout_end,
        },
        clv: ClvOptions {
            months: opts.clv_months,
            monthly_discount: opts.discount,
            ..ClvOptions::default()
        },
        segments: SegmentOptions {
            segments: opts.segments,
            seed: opts.seed,
            ..SegmentOptions::default()
        },
    };
    let a = analyze(&log.transactions, &analysis_opts).map_err(|e| located(&path, &log, &e))?;
    if let Some(dir) = &opts.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_predictions(&dir.join("predictions.csv"), &log, &a)?;
        write_segments(&dir.join("segments.csv"), &a)?;
    }
    println!("{}", summary_json(&log, &a, &analysis_opts));
    Ok(())
}

/// An error message with the file line when the error is about one transaction.
fn located(path: &str, log: &TransactionLog, e: &CustomerError) -> anyhow::Error {
    match e.transaction_index() {
        Some(i) => anyhow!("{path}: line {}: {e}", log.line_of(i)),
        // An option is the command line's, not the file's.
        None if matches!(e, CustomerError::BadOption { .. }) => anyhow!("{e}"),
        None => anyhow!("{path}: {e}"),
    }
}

fn summary_json(log: &TransactionLog, a: &Analysis, opts: &AnalysisOptions) -> serde_json::Value {
    let bg = a.bgnbd.params;
    let gg = a.gamma_gamma.params;
    let segments: Vec<serde_json::Value> = a
        .segment_table
        .iter()
        .map(|s| {
            json!({
                "segment": s.id.0, "label": s.label, "size": s.size, "mean_clv": s.mean_clv,
                "mean_p_alive": s.mean_probability_alive, "churn_risk": s.churn_risk,
                "mean_frequency": s.mean_frequency,
                "mean_weeks_since_last_purchase": s.mean_weeks_since_last_purchase,
                "mean_spend": s.mean_spend,
            })
        })
        .collect();
    json!({
        "customers": a.summaries.customers.len(),
        "holdout_only_customers": a.summaries.holdout_only_customers,
        "transactions": log.transactions.len(),
        "amount_column": log.amount_column,
        "first_date": a.summaries.first_date.to_string(),
        "last_date": a.summaries.last_date.to_string(),
        "calibration_end": opts.split.calibration_end.to_string(),
        "time_unit": "week",
        "bgnbd": {
            "r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b,
            "log_likelihood": a.bgnbd.log_likelihood, "iterations": a.bgnbd.iterations,
        },
        "gamma_gamma": {
            "p": gg.p, "q": gg.q, "v": gg.v,
            "log_likelihood": a.gamma_gamma.log_likelihood, "customers": a.gamma_gamma.customers,
        },
        "holdout": a.holdout.map(|h| json!({
            "weeks": h.weeks,
            "predicted_repeat_purchases": h.predicted_purchases,
            "actual_repeat_purchases": h.actual_purchases,
        })),
        "clv": {
            "months": opts.clv.months,
            "monthly_discount": opts.clv.monthly_discount,
            "mean": a.mean_clv,
            "total": a.mean_clv * a.summaries.customers.len() as f64,
        },
        "mean_p_alive": a.mean_probability_alive,
        "segments": segments,
    })
}

fn write_predictions(
    path: &std::path::Path,
    log: &TransactionLog,
    a: &Analysis,
) -> anyhow::Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record([
        "customer_id",
        "frequency",
        "recency_weeks",
        "age_weeks",
        "mean_repeat_spend",
        "p_alive",
        "expected_holdout_purchases",
        "holdout_purchases",
        "expected_spend",
        "clv",
        "rfm_r",
        "rfm_f",
        "rfm_m",
        "segment",
        "segment_label",
    ])?;
    let rows = a
        .summaries
        .customers
        .iter()
        .zip(&a.predictions)
        .zip(&a.rfm)
        .zip(&a.segmentation.assignment);
    for (((c, p), rfm), seg) in rows {
        w.write_record([
            log.name_of(c.customer).to_string(),
            c.frequency.to_string(),
            format!("{:.6}", c.recency_weeks),
            format!("{:.6}", c.age_weeks),
            format!("{:.4}", c.mean_repeat_spend),
            format!("{:.6}", p.probability_alive),
            format!("{:.6}", p.expected_holdout_purchases),
            c.holdout_frequency.to_string(),
            format!("{:.4}", p.expected_spend),
            format!("{:.4}", p.clv),
            rfm.recency.to_string(),
            rfm.frequency.to_string(),
            rfm.monetary.to_string(),
            seg.0.to_string(),
            a.segmentation.labels[usize::from(seg.0)].to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_segments(path: &std::path::Path, a: &Analysis) -> anyhow::Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record([
        "segment",
        "label",
        "size",
        "mean_clv",
        "mean_p_alive",
        "churn_risk",
        "mean_frequency",
        "mean_weeks_since_last_purchase",
        "mean_spend",
    ])?;
    for s in &a.segment_table {
        w.write_record([
            s.id.0.to_string(),
            s.label.to_string(),
            s.size.to_string(),
            format!("{:.4}", s.mean_clv),
            format!("{:.6}", s.mean_probability_alive),
            format!("{:.6}", s.churn_risk),
            format!("{:.4}", s.mean_frequency),
            format!("{:.4}", s.mean_weeks_since_last_purchase),
            format!("{:.4}", s.mean_spend),
        ])?;
    }
    w.flush()?;
    Ok(())
}
