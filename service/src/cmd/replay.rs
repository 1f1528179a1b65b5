//! `milkrun replay`: not built yet (owned by issue #5).
use clap::Args;

/// Options of `milkrun replay`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Arguments, unused until the command exists.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs the command.
pub fn run(_opts: Opts) -> anyhow::Result<()> {
    anyhow::bail!("`milkrun replay` is not available yet")
}
