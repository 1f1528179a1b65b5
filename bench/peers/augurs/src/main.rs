//! augurs (the Rust crate, from crates.io) on the sets exported by
//! `bench/peers/freq_sets.py export DIR`, scored like `freq_sets.py peer` and
//! `milkrun-bench --bin forecast`: one holdout (the last h values of every series), MASE and
//! scaled pinball loss at 0.9 over the in-sample seasonal naive error (m = 1 for yearly), the
//! share of held-out values inside the 80 % interval. Models: MSTL with augurs' non-seasonal
//! AutoETS as its trend model (periods: the set's season, plus 168 for hourly data with two
//! weeks of history, as the statsforecast peer), and that AutoETS alone (augurs' ETS has no
//! seasonal forms). The 0.9 quantile is the upper bound of the 80 % interval.
//!
//! `cargo run --release --manifest-path bench/peers/augurs/Cargo.toml -- DIR [SET,SET,...]`
use augurs::ets::AutoETS;
use augurs::mstl::MSTLModel;
use augurs::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

type Panel = BTreeMap<String, Vec<f64>>;

fn read_set(dir: &Path, name: &str) -> Result<Panel, Box<dyn std::error::Error>> {
    let mut r = csv::Reader::from_path(dir.join(format!("{name}.csv")))?;
    let mut out: Panel = BTreeMap::new();
    for row in r.records() {
        let row = row?;
        let v: f64 = row[2].parse()?;
        out.entry(row[0].to_string()).or_default().push(v);
    }
    Ok(out)
}

fn scale(y: &[f64], m: usize) -> Option<f64> {
    if y.len() <= m {
        return None;
    }
    let s = y[m..]
        .iter()
        .zip(y)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / (y.len() - m) as f64;
    (s > 0.0).then_some(s)
}

/// (point, lower 80 %, upper 80 %) or the error text.
fn run(
    model: &str,
    train: &[f64],
    h: usize,
    m: usize,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>), String> {
    let fc = if model == "MSTL" {
        let periods = if m == 24 && train.len() >= 2 * 168 {
            vec![24, 168]
        } else {
            vec![m]
        };
        let trend = AutoETS::non_seasonal().into_trend_model();
        let fit = MSTLModel::new(periods, trend)
            .fit(train)
            .map_err(|e| e.to_string())?;
        fit.predict(h, 0.8).map_err(|e| e.to_string())?
    } else {
        let fit = AutoETS::non_seasonal()
            .fit(train)
            .map_err(|e| e.to_string())?;
        fit.predict(h, 0.8).map_err(|e| e.to_string())?
    };
    let iv = fc.intervals.ok_or("no intervals")?;
    Ok((fc.point, iv.lower, iv.upper))
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 per second on Linux)
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            let u: f64 = rest.get(11)?.parse().ok()?;
            let k: f64 = rest.get(12)?.parse().ok()?;
            Some((u + k) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).ok_or("usage: augurs-peer DIR [SETS]")?);
    let only: Vec<&str> = args
        .get(2)
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    let mut sets = csv::Reader::from_path(dir.join("sets.csv"))?;
    for row in sets.records() {
        let row = row?;
        let name = row[0].to_string();
        if !only.is_empty() && !only.contains(&name.as_str()) {
            continue;
        }
        let h: usize = row[2].parse()?;
        let m: usize = row[3].parse()?;
        let panel = read_set(dir, &name)?;
        for model in ["MSTL", "AutoETS"] {
            if model == "MSTL" && m < 2 {
                continue;
            }
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let mut outs = Vec::with_capacity(panel.len());
            for y in panel.values() {
                let train = &y[..y.len().saturating_sub(h)];
                outs.push(run(model, train, h, m));
            }
            let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
            let (mut mase, mut spl, mut inside, mut points, mut failed) = (vec![], vec![], 0, 0, 0);
            let mut first_error = String::new();
            for (y, out) in panel.values().zip(outs) {
                let (train, test) = y.split_at(y.len() - h);
                let (point, lo, hi) = match out {
                    Ok(o) => o,
                    Err(e) => {
                        failed += 1;
                        if first_error.is_empty() {
                            first_error = e;
                        }
                        continue;
                    }
                };
                let Some(sc) = scale(train, m) else { continue };
                let k = test.len();
                let mae = test
                    .iter()
                    .zip(&point)
                    .map(|(a, f)| (a - f).abs())
                    .sum::<f64>()
                    / k as f64;
                let pin = test
                    .iter()
                    .zip(&hi)
                    .map(|(a, q)| {
                        let u = a - q;
                        (0.9 * u).max(-0.1 * u)
                    })
                    .sum::<f64>()
                    / k as f64;
                inside += test
                    .iter()
                    .zip(lo.iter().zip(&hi))
                    .filter(|(a, (l, u))| **a >= **l && **a <= **u)
                    .count();
                points += k;
                mase.push(mae / sc);
                spl.push(pin / sc);
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
            println!(
                "{{\"dataset\": \"{name}\", \"model\": \"augurs {model}\", \"n_series\": {}, \"failed\": {failed}, \"h\": {h}, \"m\": {m}, \"mase\": {:.4}, \"spl90\": {:.4}, \"cov80\": {:.3}, \"wall_s\": {wall:.3}, \"cpu_s\": {cpu:.2}{}}}",
                panel.len(),
                mean(&mase),
                mean(&spl),
                inside as f64 / points.max(1) as f64,
                if first_error.is_empty() { String::new() } else { format!(", \"first_error\": {first_error:?}") }
            );
        }
    }
    Ok(())
}
