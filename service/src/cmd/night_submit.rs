//! `milkrun night-submit`: publishes station-day night jobs to the NATS JetStream night
//! queue, for `milkrun worker`s to run (see [`crate::night_queue`]).
//!
//! ```text
//! milkrun night-submit --nats URL --jobs FILE
//! ```
//!
//! `FILE` holds one job a line, JSON ([`crate::night_queue::job::NightJob`]); `-` reads
//! standard input. Each job is checked before anything is published and goes out with its
//! message id, so a job submitted twice is queued once. Prints
//! `published N: M new, D duplicates`.
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::night_queue::job::{NightJob, MAX_JOB_BYTES};
use crate::night_queue::queue::NightQueue;

/// The most jobs one submission may hold.
pub const MAX_JOBS: usize = 100_000;

/// Options of `milkrun night-submit`.
#[derive(Debug, Args)]
pub struct Opts {
    /// The NATS server with JetStream (`nats://HOST:PORT`).
    #[arg(long)]
    pub nats: String,
    /// The jobs, one JSON object a line (`-`: standard input).
    #[arg(long)]
    pub jobs: PathBuf,
}

/// Reads up to [`MAX_JOBS`] jobs, each line at most [`MAX_JOB_BYTES`]; blank lines skipped.
/// Errors name the line.
pub fn read_jobs(input: impl Read) -> anyhow::Result<Vec<NightJob>> {
    let mut reader = BufReader::new(input);
    let mut jobs = Vec::new();
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let n = (&mut reader)
            .take(MAX_JOB_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("jobs line {number}"))?;
        if n == 0 {
            break;
        }
        if line.len() > MAX_JOB_BYTES {
            anyhow::bail!("jobs line {number}: longer than {MAX_JOB_BYTES} bytes");
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if jobs.len() == MAX_JOBS {
            anyhow::bail!("jobs line {number}: more than {MAX_JOBS} jobs");
        }
        let job = NightJob::from_bytes(&line).with_context(|| format!("jobs line {number}"))?;
        job.check().with_context(|| format!("jobs line {number}"))?;
        jobs.push(job);
    }
    Ok(jobs)
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let jobs = if opts.jobs.as_os_str() == "-" {
        read_jobs(std::io::stdin().lock())?
    } else {
        let file =
            std::fs::File::open(&opts.jobs).with_context(|| format!("{}", opts.jobs.display()))?;
        read_jobs(file).with_context(|| format!("{}", opts.jobs.display()))?
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("the async runtime")?;
    let (new, duplicates) = runtime.block_on(async {
        let queue = NightQueue::connect(&opts.nats).await?;
        let (mut new, mut duplicates) = (0u64, 0u64);
        for job in &jobs {
            if queue.publish(job).await?.duplicate {
                duplicates += 1;
            } else {
                new += 1;
            }
        }
        anyhow::Ok((new, duplicates))
    })?;
    println!(
        "published {}: {new} new, {duplicates} duplicates",
        jobs.len()
    );
    Ok(())
}
