//! `milkrun forecast`: not built yet (owned by the issue that builds it).
use clap::Args;

/// Options of `milkrun forecast`.
#[derive(Debug, Args)]
pub struct Opts {
    /// Arguments, unused until the command exists.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs the command.
pub fn run(_opts: Opts) -> anyhow::Result<()> {
    anyhow::bail!("`milkrun forecast` is not available yet")
}
