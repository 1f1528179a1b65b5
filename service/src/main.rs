//! The `milkrun` command line: a thin layer over the library crates.
use clap::{Parser, Subcommand};
use milkrun_service::cmd;

/// milkrun: plan and re-plan perishable delivery routes and forecast demand.
#[derive(Debug, Parser)]
#[command(name = "milkrun", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A simulated milk company's week through the real day loop and store, against baselines:
    /// report.html, report.json, charts and a map.
    Demo(cmd::demo::Opts),
    /// A milk station's morning end to end: roads, nightly plan, re-plans, tomorrow's order.
    Morning(cmd::morning::Opts),
    /// Solve a VRP instance (Solomon/Homberger, VRPLIB, Li & Lim) and write a .sol.
    Solve(cmd::solve::Opts),
    /// Travel-time/distance matrix between points on an OSM extract.
    Matrix(cmd::matrix::Opts),
    /// Probabilistic demand forecast from a long-format CSV.
    Forecast(cmd::forecast::Opts),
    /// Customer value (BG/NBD, Gamma-Gamma), churn risk and segments.
    Customers(cmd::customers::Opts),
    /// Newsvendor order quantity for normal demand.
    Newsvendor(cmd::newsvendor::Opts),
    /// Order plan from forecasts, stock and costs.
    OrderPlan(cmd::order_plan::Opts),
    /// Replay a day of events against a delivery scenario and print what changed.
    Replay(cmd::replay::Opts),
    /// Serve the gRPC and JSON APIs (Roads, Routes) to tenants.
    Serve(cmd::serve::Opts),
    /// Run station-day planning jobs from the NATS JetStream night queue against the shared
    /// store.
    Worker(cmd::worker::Opts),
    /// Publish station-day night jobs (JSON lines) to the NATS JetStream night queue.
    NightSubmit(cmd::night_submit::Opts),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(o) => cmd::demo::run(&o).map(|_| ()),
        Command::Morning(o) => cmd::morning::run(o),
        Command::Solve(o) => cmd::solve::run(o),
        Command::Matrix(o) => cmd::matrix::run(o),
        Command::Forecast(o) => cmd::forecast::run(o),
        Command::Customers(o) => cmd::customers::run(o),
        Command::Newsvendor(o) => cmd::newsvendor::run(o),
        Command::OrderPlan(o) => cmd::order_plan::run(o),
        Command::Replay(o) => cmd::replay::run(o),
        Command::Serve(o) => cmd::serve::run(o),
        Command::Worker(o) => cmd::worker::run(o),
        Command::NightSubmit(o) => cmd::night_submit::run(o),
    }
}
