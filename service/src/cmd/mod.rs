//! One module per `milkrun` subcommand. Each has an `Opts` (clap) and a `run`.
pub mod args;
pub mod customers;
pub mod demo;
pub mod forecast;
pub mod matrix;
pub mod morning;
pub mod newsvendor;
pub mod night_submit;
pub mod order_plan;
pub mod replay;
pub mod serve;
pub mod solve;
pub mod worker;
