//! `milkrun order-plan`: today's orders from forecasts, stock and costs.
//!
//! Inputs (CSV with a header; column order free; `series_id` names one product at one location,
//! the same id as in `milkrun forecast`):
//!
//! - `--forecasts`: `series_id,date,mean[,sd][,q0.1,q0.5,...]`, one row per series and day,
//!   the first date of a series being today (the output of `milkrun forecast` fits); days
//!   consecutive, no repeated (series, date), dates `YYYY-MM-DD`
//!   ([`milkrun_forecast::ordering::io`]). A day's
//!   demand is the interpolated quantiles when there are at least two `q` columns, else normal
//!   (`mean`, `sd`) when `sd` is given, else Poisson(`mean`).
//! - `--stock`: `series_id,quantity,sellable_days[,arrives_in_days]`: lots on hand
//!   (`arrives_in_days` empty or 0; `sellable_days` counts today) and deliveries on order
//!   (`arrives_in_days` > 0; `sellable_days` from arrival).
//! - `--costs`: `series_id,unit_cost,price,shelf_life_days[,salvage][,shortage_penalty]
//!   [,lead_time_days][,review_days][,pack_size][,min_order][,volume]` (defaults: 0, 0, 1, 1, 1,
//!   0, 1). Overage = unit_cost - salvage; underage = price - unit_cost + shortage_penalty.
//!
//! `--capacity V` limits Σ volume × order, `--budget B` limits Σ unit_cost × order (solved as
//! an LP). Output (stdout or `--out`): CSV `series_id,order,unconstrained_order,order_up_to,
//! safety_stock,usable_position,expiring_stock,reorder_point,expected_fill_rate,expected_cost`,
//! or one JSON object with `--format json`. Alerts go to stderr (CSV) or the `alerts` array.
use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};
use milkrun_forecast::ordering::io::read_daily_forecasts;
use milkrun_forecast::ordering::{
    plan_orders, Costs, Demand, Incoming, LocationId, Lot, MonteCarlo, OrderItem, OrderingError,
    PackRule, ProductId, ReviewParams, SharedLimits,
};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// CSV, one row per series.
    Csv,
    /// One JSON object.
    Json,
}

/// Options of `milkrun order-plan`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Forecast CSV (`series_id,date,mean[,sd][,q...]`).
    #[arg(long)]
    pub forecasts: PathBuf,
    /// Stock CSV (`series_id,quantity,sellable_days[,arrives_in_days]`).
    #[arg(long)]
    pub stock: PathBuf,
    /// Costs CSV (series_id,unit_cost,price,shelf_life_days,...).
    #[arg(long)]
    pub costs: PathBuf,
    /// Shared capacity: Σ volume × order ≤ this.
    #[arg(long)]
    pub capacity: Option<f64>,
    /// Budget: Σ unit_cost × order ≤ this.
    #[arg(long)]
    pub budget: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Output file (default stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of the Monte Carlo sums.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// A CSV file as header → column index and rows.
struct Table {
    name: String,
    cols: HashMap<String, usize>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &PathBuf) -> anyhow::Result<Table> {
        let name = path.display().to_string();
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .with_context(|| format!("opening {name}"))?;
        let cols = rdr
            .headers()
            .with_context(|| format!("reading the header of {name}"))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let rows = rdr
            .records()
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("reading {name}"))?;
        Ok(Table { name, cols, rows })
    }
    fn col(&self, c: &str) -> anyhow::Result<usize> {
        self.cols
            .get(c)
            .copied()
            .ok_or_else(|| anyhow!("{}: missing column `{c}`", self.name))
    }
    /// Field `c` of row `r` (0-based data row; reported as file line r + 2).
    fn num(&self, r: usize, c: &str) -> anyhow::Result<f64> {
        let s = self.rows[r].get(self.col(c)?).unwrap_or("");
        s.parse::<f64>()
            .map_err(|_| {
                anyhow!(
                    "{} line {}: `{c}` = {s:?} is not a number",
                    self.name,
                    r + 2
                )
            })
            .and_then(|v| {
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(anyhow!("{} line {}: `{c}` is {v}", self.name, r + 2))
                }
            })
    }
    fn opt_num(&self, r: usize, c: &str, default: f64) -> anyhow::Result<f64> {
        match self.cols.get(c).and_then(|&i| self.rows[r].get(i)) {
            None | Some("") => Ok(default),
            Some(_) => self.num(r, c),
        }
    }
    fn text(&self, r: usize, c: &str) -> anyhow::Result<String> {
        Ok(self.rows[r].get(self.col(c)?).unwrap_or("").to_string())
    }
}

fn whole_days(v: f64, what: &str) -> anyhow::Result<u32> {
    if v < 0.0 || v.fract() != 0.0 || v > 10_000.0 {
        bail!("{what} must be a whole number of days, got {v}");
    }
    Ok(v as u32)
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let fc_name = opts.forecasts.display().to_string();
    let fc_file =
        std::fs::File::open(&opts.forecasts).with_context(|| format!("opening {fc_name}"))?;
    let forecasts = read_daily_forecasts(std::io::BufReader::new(fc_file))
        .map_err(|e| anyhow!("{fc_name}: {e}"))?;
    let stock = Table::read(&opts.stock)?;
    let costs = Table::read(&opts.costs)?;

    // Forecast: series in order of first appearance, consecutive days from the first date.
    let mut ids: Vec<String> = Vec::with_capacity(forecasts.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut days: Vec<Vec<Demand>> = Vec::with_capacity(forecasts.len());
    for s in forecasts {
        index.insert(s.id.clone(), ids.len());
        ids.push(s.id);
        days.push(s.daily);
    }

    let mut on_hand: Vec<Vec<Lot>> = vec![Vec::new(); ids.len()];
    let mut on_order: Vec<Vec<Incoming>> = vec![Vec::new(); ids.len()];
    for r in 0..stock.rows.len() {
        let id = stock.text(r, "series_id")?;
        let k = *index.get(&id).ok_or_else(|| {
            anyhow!(
                "{} line {}: unknown product `{id}` (not in the forecasts)",
                stock.name,
                r + 2
            )
        })?;
        let quantity = stock.num(r, "quantity")?;
        let sellable_days = whole_days(stock.num(r, "sellable_days")?, "sellable_days")
            .with_context(|| format!("{} line {}", stock.name, r + 2))?;
        let arrives = whole_days(stock.opt_num(r, "arrives_in_days", 0.0)?, "arrives_in_days")?;
        if arrives == 0 {
            on_hand[k].push(Lot {
                quantity,
                sellable_days,
            });
        } else {
            on_order[k].push(Incoming {
                quantity,
                arrives_in_days: arrives,
                sellable_days,
            });
        }
    }

    let mut params: Vec<Option<(ReviewParams, f64, f64)>> = vec![None; ids.len()];
    for r in 0..costs.rows.len() {
        let id = costs.text(r, "series_id")?;
        let at = || format!("{} line {}", costs.name, r + 2);
        let k = *index
            .get(&id)
            .ok_or_else(|| anyhow!("{}: unknown product `{id}` (not in the forecasts)", at()))?;
        let unit_cost = costs.num(r, "unit_cost")?;
        let c = Costs::from_prices(
            unit_cost,
            costs.num(r, "price")?,
            costs.opt_num(r, "salvage", 0.0)?,
            costs.opt_num(r, "shortage_penalty", 0.0)?,
        )
        .with_context(at)?;
        let p = ReviewParams {
            lead_time_days: whole_days(costs.opt_num(r, "lead_time_days", 1.0)?, "lead_time_days")
                .with_context(at)?,
            review_days: whole_days(costs.opt_num(r, "review_days", 1.0)?, "review_days")
                .with_context(at)?,
            shelf_life_days: whole_days(costs.num(r, "shelf_life_days")?, "shelf_life_days")
                .with_context(at)?,
            costs: c,
            pack: PackRule::new(
                costs.opt_num(r, "pack_size", 1.0)?,
                costs.opt_num(r, "min_order", 0.0)?,
            )
            .with_context(at)?,
            monte_carlo: MonteCarlo {
                seed: opts.seed ^ k as u64,
                ..MonteCarlo::default()
            },
        };
        p.validate().with_context(at)?;
        params[k] = Some((p, unit_cost, costs.opt_num(r, "volume", 1.0)?));
    }

    let mut items = Vec::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        let (p, unit_cost, volume) =
            params[k].ok_or_else(|| anyhow!("{}: no costs for series `{id}`", costs.name))?;
        items.push(OrderItem {
            product: ProductId(u32::try_from(k).context("more than 2^32 series")?),
            location: LocationId(0),
            daily: std::mem::take(&mut days[k]),
            on_hand: std::mem::take(&mut on_hand[k]),
            on_order: std::mem::take(&mut on_order[k]),
            params: p,
            unit_cost,
            volume,
        });
    }
    let limits = SharedLimits {
        capacity: opts.capacity,
        budget: opts.budget,
    };
    let plans = plan_orders(&items, &limits).map_err(|e| match e {
        OrderingError::Item { index, source } => {
            anyhow!(
                "series `{}`: {source}",
                ids.get(index).map_or("?", |s| s.as_str())
            )
        }
        other => anyhow!(other),
    })?;

    let mut text = String::new();
    let mut alerts_json = Vec::new();
    let mut rows_json = Vec::new();
    if opts.format == Format::Csv {
        text.push_str("series_id,order,unconstrained_order,order_up_to,safety_stock,usable_position,expiring_stock,reorder_point,expected_fill_rate,expected_cost\n");
    }
    for (k, p) in plans.iter().enumerate() {
        let d = &p.decision;
        match opts.format {
            Format::Csv => text.push_str(&format!(
                "{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.4},{:.4}\n",
                ids[k],
                p.order,
                d.order_quantity,
                d.order_up_to,
                d.safety_stock,
                d.usable_position,
                d.expiring_stock,
                p.reorder_point,
                p.expected_fill_rate,
                p.expected_cost
            )),
            Format::Json => rows_json.push(serde_json::json!({
                "series_id": ids[k],
                "order": p.order,
                "unconstrained_order": d.order_quantity,
                "order_up_to": d.order_up_to,
                "safety_stock": d.safety_stock,
                "usable_position": d.usable_position,
                "expiring_stock": d.expiring_stock,
                "reorder_point": p.reorder_point,
                "expected_fill_rate": p.expected_fill_rate,
                "expected_cost": p.expected_cost,
            })),
        }
        for a in &p.alerts {
            match opts.format {
                Format::Csv => eprintln!("ALERT {}: {:.2} units: {}", ids[k], a.quantity, a.reason),
                Format::Json => alerts_json.push(serde_json::json!({
                    "series_id": ids[k],
                    "quantity": a.quantity,
                    "reason": a.reason.to_string(),
                })),
            }
        }
    }
    if opts.format == Format::Json {
        text = serde_json::json!({ "plan": rows_json, "alerts": alerts_json }).to_string();
        text.push('\n');
    }
    match &opts.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}
