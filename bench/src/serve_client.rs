//! What the service benchmarks (`serve_load`, `reroute_load`) share: the built `milkrun`
//! binary started as a separate process with a tenants file ([`Server`]), a minimal
//! keep-alive HTTP/1.1 client of its JSON face on tokio's `TcpStream` ([`Conn`]), the sha256
//! of an API key as the tenants file stores it ([`key_hash`]), and latency summaries
//! ([`percentile`], [`summary`]).
//!
//! The bench crate never links `milkrun-service` (see ARCHITECTURE.md): a server benchmark
//! sees the server as its clients do, a process behind a real socket.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running `milkrun serve`, killed (and its tenants file removed) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    config: std::path::PathBuf,
    /// The address it listens on (`127.0.0.1:PORT`).
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

impl Server {
    /// Starts `milkrun serve --listen 127.0.0.1:0 --config FILE EXTRA...` with `config` (the
    /// tenants file's JSON) written to a temporary file named after `name`, and waits for its
    /// `listening on ADDR` line. The server's log (standard error) is discarded.
    pub fn start(
        milkrun: &Path,
        name: &str,
        config: &str,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let path = std::env::temp_dir().join(format!("milkrun-{name}-{}.json", std::process::id()));
        std::fs::write(&path, config).context("writing the config")?;
        let mut child = Command::new(milkrun)
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", milkrun.display()))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut server = Server {
            child,
            config: path,
            addr: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            bail!("unexpected first line {line:?}");
        };
        server.addr = addr.to_string();
        Ok(server)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The lower-case hex sha256 of an API key, as the tenants file stores it.
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One keep-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects (no Nagle delay).
    pub async fn open(addr: &str) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            host: addr.to_string(),
            buf: Vec::new(),
        })
    }

    /// Sends a POST with a JSON body (and `Authorization: Bearer KEY` when a key is given)
    /// and reads the answer: (status, body). Only answers with a `content-length` are read.
    pub async fn post(
        &mut self,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        self.send("POST", path, key, body).await
    }

    /// Sends a GET (no body) and reads the answer: (status, body).
    pub async fn get(&mut self, path: &str) -> anyhow::Result<(u16, String)> {
        self.send("GET", path, None, "").await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        let auth = key
            .map(|k| format!("authorization: Bearer {k}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body.as_bytes()).await?;
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .context("a status line")?;
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .context("a content-length (chunked answers are not read)")?;
                while self.buf.len() < end + 4 + len {
                    self.fill().await?;
                }
                let body = String::from_utf8_lossy(&self.buf[end + 4..end + 4 + len]).to_string();
                self.buf.drain(..end + 4 + len);
                return Ok((status, body));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// The `p` quantile (0 to 1) of sorted values, nearest rank; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Prints one line `name n= p50= p99= max=` of latencies in milliseconds; returns the p50.
pub fn summary(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    let p50 = percentile(&ms, 0.5);
    println!(
        "{name:<44} n={:<6} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms",
        ms.len(),
        p50,
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
    p50
}
