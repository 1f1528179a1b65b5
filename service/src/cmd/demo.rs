//! `milkrun demo`: not built yet (owned by issue #12).
use clap::Args;

/// Options of `milkrun demo`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Arguments, unused until the command exists.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs the command.
pub fn run(_opts: Opts) -> anyhow::Result<()> {
    anyhow::bail!("`milkrun demo` is not available yet")
}
