//! The pool that runs solves and matrices: dedicated OS threads fed by a bounded channel,
//! never the async runtime's threads. CPU permits gate the pool: one permit per worker, a
//! share reserved for interactive calls, and a call that cannot get a permit soon is shed
//! with RESOURCE_EXHAUSTED: at once when as many calls as there are workers already wait
//! for a permit (it would be served after all of them), otherwise after [`SHED_AFTER`].
//! Either way the decision takes no wait when calls queue; what a shed caller sees beyond
//! that is the machine's scheduling (the `shed_seconds` histogram measures it server-side).
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use super::error::ServiceError;

/// How long a call may wait for a CPU permit before it is shed: a fifth of the 10 ms within
/// which a shed call is answered, the rest left for reading the request and writing the
/// answer on a busy machine.
pub const SHED_AFTER: Duration = Duration::from_millis(2);

/// Whether a call may use the permits reserved for interactive work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A person waits: any permit.
    Interactive,
    /// Background work: only the general permits.
    Batch,
}

type Job = Box<dyn FnOnce() + Send + 'static>;

/// One CPU permit of the pool, held while its job runs.
#[derive(Debug)]
pub struct CpuPermit {
    _permit: OwnedSemaphorePermit,
}

/// The worker pool.
#[derive(Debug)]
pub struct WorkerPool {
    sender: Mutex<Option<SyncSender<Job>>>,
    general: Arc<Semaphore>,
    reserved: Arc<Semaphore>,
    waiting: Arc<AtomicI64>,
    workers: usize,
}

impl WorkerPool {
    /// `workers` threads (at least 2); `reserved` of their permits (at least 1, fewer than
    /// `workers`) only for interactive calls.
    pub fn new(workers: usize, reserved: usize) -> std::io::Result<WorkerPool> {
        let workers = workers.max(2);
        let reserved = reserved.clamp(1, workers - 1);
        let (sender, receiver) = sync_channel::<Job>(workers);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers {
            let rx = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("milkrun-worker-{i}"))
                .spawn(move || worker_loop(&rx))?;
        }
        Ok(WorkerPool {
            sender: Mutex::new(Some(sender)),
            general: Arc::new(Semaphore::new(workers - reserved)),
            reserved: Arc::new(Semaphore::new(reserved)),
            waiting: Arc::new(AtomicI64::new(0)),
            workers,
        })
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Calls waiting for a CPU permit now.
    pub fn queue_depth(&self) -> i64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Waits at most [`SHED_AFTER`] for a CPU permit of the lane.
    pub async fn permit(&self, lane: Lane) -> Result<CpuPermit, ServiceError> {
        let free = match lane {
            Lane::Batch => Arc::clone(&self.general).try_acquire_owned(),
            Lane::Interactive => Arc::clone(&self.general)
                .try_acquire_owned()
                .or_else(|_| Arc::clone(&self.reserved).try_acquire_owned()),
        };
        if let Ok(p) = free {
            return Ok(CpuPermit { _permit: p });
        }
        let ahead = self.waiting.fetch_add(1, Ordering::Relaxed);
        if ahead >= self.workers as i64 {
            // The semaphores are fair: this call would wait behind every call already
            // waiting, each of which holds a worker once served. Not soon: shed now.
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(busy());
        }
        let general = Arc::clone(&self.general);
        let reserved = Arc::clone(&self.reserved);
        let wait = async move {
            match lane {
                Lane::Batch => general.acquire_owned().await,
                Lane::Interactive => tokio::select! {
                    p = general.acquire_owned() => p,
                    p = reserved.acquire_owned() => p,
                },
            }
        };
        let got = tokio::time::timeout(SHED_AFTER, wait).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        match got {
            Ok(Ok(p)) => Ok(CpuPermit { _permit: p }),
            Ok(Err(_)) => Err(ServiceError::Internal("worker pool closed".into())),
            Err(_) => Err(busy()),
        }
    }

    /// Waits for a CPU permit of the lane as long as it takes (queued batch jobs: they wait
    /// their turn instead of being shed; they are not counted in [`WorkerPool::queue_depth`]).
    pub async fn permit_queued(&self, lane: Lane) -> Result<CpuPermit, ServiceError> {
        let general = Arc::clone(&self.general);
        let got = match lane {
            Lane::Batch => general.acquire_owned().await,
            Lane::Interactive => {
                let reserved = Arc::clone(&self.reserved);
                tokio::select! {
                    p = general.acquire_owned() => p,
                    p = reserved.acquire_owned() => p,
                }
            }
        };
        got.map(|p| CpuPermit { _permit: p })
            .map_err(|_| ServiceError::Internal("worker pool closed".into()))
    }

    /// Runs `work` on a worker thread once a CPU permit is there (shed after [`SHED_AFTER`]).
    pub async fn run<T, F>(&self, lane: Lane, work: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self.permit(lane).await?;
        self.spawn(permit, work)?
            .await
            .map_err(|_| ServiceError::Internal("a worker stopped during the call".into()))
    }

    /// Hands `work` to a worker thread under a permit; the receiver gets its result.
    pub fn spawn<T, F>(
        &self,
        permit: CpuPermit,
        work: F,
    ) -> Result<oneshot::Receiver<T>, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let out = work();
            drop(permit);
            // The caller may have gone (cancelled call); the result is then dropped.
            let _ = tx.send(out);
        });
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| ServiceError::Internal("worker pool closed".into()))?;
        // At most `workers` permits exist and the channel holds `workers` jobs: never full.
        sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => ServiceError::Internal("worker queue full".into()),
            TrySendError::Disconnected(_) => ServiceError::Internal("worker pool closed".into()),
        })?;
        Ok(rx)
    }

    /// Stops accepting work; the threads end after the jobs in hand.
    pub fn close(&self) {
        self.sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// The answer to a call that cannot get a CPU permit soon.
fn busy() -> ServiceError {
    ServiceError::Exhausted {
        what: format!(
            "server busy: no CPU permit within {} ms",
            SHED_AFTER.as_millis()
        ),
        retry_after: Duration::from_millis(100),
    }
}

fn worker_loop(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(PoisonError::into_inner);
            guard.recv()
        };
        match job {
            // A panicking job (a broken invariant) loses its answer, not the worker thread.
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}
