//! `milkrun newsvendor`: the single-period newsvendor for normal demand.
//!
//! Prints one JSON object: `quantity` (the optimal order, the demand quantile at the critical
//! ratio cu/(cu+co)), `expected_cost`, `expected_waste`, `expected_shortage`,
//! `expected_fill_rate` and `critical_ratio`.
use clap::Args;
use milkrun_forecast::ordering::{newsvendor, Costs, Demand};

/// Options of `milkrun newsvendor`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Mean demand.
    #[arg(long, allow_hyphen_values = true)]
    pub mean: f64,
    /// Standard deviation of demand.
    #[arg(long, allow_hyphen_values = true)]
    pub sd: f64,
    /// Overage cost: cost of one unit left over (co).
    #[arg(long, allow_hyphen_values = true)]
    pub overage: f64,
    /// Underage cost: cost of one unit short (cu).
    #[arg(long, allow_hyphen_values = true)]
    pub underage: f64,
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let demand = Demand::normal(opts.mean, opts.sd)?;
    let costs = Costs::new(opts.overage, opts.underage)?;
    let out = newsvendor(&demand, &costs);
    let json = serde_json::json!({
        "quantity": out.quantity,
        "expected_cost": out.expected_cost,
        "expected_waste": out.expected_waste,
        "expected_shortage": out.expected_shortage,
        "expected_fill_rate": out.expected_fill_rate,
        "critical_ratio": costs.critical_ratio(),
    });
    println!("{json}");
    Ok(())
}
