//! Speed benchmark of the customer-value pipeline on CDNOW (compare with
//! `../shared/tools/peers/ltv_peer.py`, which times `lifetimes` on the same data).
//!
//! `cargo run --release -p milkrun-bench --bin ltv [-- PATH_TO_CSV [REPEATS]]`
use std::fs::File;
use std::time::Instant;

use anyhow::Context;
use milkrun_forecast::customers::io::read_transactions_csv;
use milkrun_forecast::customers::{
    predict_customers, segment_customers, summarize, BgNbd, ClvOptions, Date, GammaGamma,
    SegmentOptions, Split,
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or(
        "datasets/data/forecast/cdnow_transactions.csv",
        String::as_str,
    );
    let repeats: usize = args
        .get(2)
        .map_or(Ok(5), |s| s.parse())
        .context("REPEATS")?;
    let t = Instant::now();
    let log = read_transactions_csv(File::open(path).with_context(|| path.to_string())?)?;
    println!(
        "read csv: {:.1} ms ({} rows)",
        ms(t),
        log.transactions.len()
    );
    let split = Split {
        calibration_start: Date::parse("1997-01-01"),
        calibration_end: Date::parse("1997-09-30").context("date")?,
        holdout_end: Date::parse("1998-06-30"),
    };
    let clv = ClvOptions::default();
    for run in 0..repeats {
        let t0 = Instant::now();
        let s = summarize(&log.transactions, &split)?;
        let t_sum = ms(t0);
        let t1 = Instant::now();
        let bg = BgNbd::fit(&s.customers)?;
        let t_bg = ms(t1);
        let t2 = Instant::now();
        let gg = GammaGamma::fit(&s.customers)?;
        let t_gg = ms(t2);
        let t3 = Instant::now();
        let p = predict_customers(&bg.params, &gg.params, &s.customers, s.holdout_weeks, &clv)?;
        let t_pred = ms(t3);
        let fit_and_predict = ms(t0);
        let t4 = Instant::now();
        let seg = segment_customers(&s.customers, &SegmentOptions::default())?;
        let t_seg = ms(t4);
        let predicted: f64 = p.iter().map(|x| x.expected_holdout_purchases).sum();
        println!(
            "run {run}: summarize {t_sum:.1} ms, BG/NBD fit {t_bg:.1} ms ({} it), Gamma-Gamma fit {t_gg:.1} ms, \
             predictions+CLV {t_pred:.1} ms => fit+predict {fit_and_predict:.1} ms; k-means {t_seg:.1} ms \
             (holdout predicted {predicted:.0}, {} segments)",
            bg.iterations,
            seg.labels.len()
        );
    }
    Ok(())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}
