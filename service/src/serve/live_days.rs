//! The live days a server holds ([`LiveDays`]): every open day of every tenant in memory,
//! each behind its own lock, and the store they persist in. Stored per day (see
//! `milkrun_dairy::store::live_days`): the travel matrix apart, once per change (number 1 at
//! open, one more at each traffic event or new address), in the dispatch crate's binary
//! form; the newest snapshot without the matrix (JSON, naming its matrix by number), taken
//! when a re-plan may not replay the same, when a new address grew the matrix, and at least
//! every [`SNAPSHOT_EVERY`] events; and the log of accepted events (a traffic event's
//! record names its matrix). [`LiveDays::restore`] brings a day back from its newest
//! snapshot, its matrix and the events logged after it, re-applied.
//!
//! This module knows the store and the dispatch crate, not the handlers or the service's
//! shared state: `dispatch.rs` (the handlers) uses it, `state.rs` holds it.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use milkrun_dairy::store::live_days::{StoredLiveDay, StoredSnapshot};
use milkrun_dairy::store::Store;
use milkrun_dispatch::{
    Dispatch, Event, EventKind, LiveDay, LoggedEvent, MatrixState, TravelTimes,
};
use milkrun_engine::{NodeId, Profile};
use milkrun_station::road::RoadLocations;
use serde::Deserialize;
use tokio::sync::watch;

use super::config::TenantId;
use super::convert::day::{self as convert, DayLabels, DaySnapshot};
use super::error::ServiceError;
use super::proto::v1 as pb;

pub use milkrun_station::live::{replan_options, REPLAN_BUDGET, REPLAN_EVALUATIONS};
/// Most events logged after a day's newest snapshot: the next one stores a snapshot, so a
/// restart re-applies at most this many events of a day.
pub const SNAPSHOT_EVERY: u64 = 100;

/// One live day in memory.
#[derive(Debug)]
pub struct DayEntry {
    pub(super) live: LiveDay,
    pub(super) labels: DayLabels,
    pub(super) roads: RoadLocations,
    pub(super) profile: Profile,
    pub(super) max_snap_m: f64,
    pub(super) open: bool,
    /// The number of the stored matrix the day runs on.
    pub(super) matrix: u64,
    /// Events logged after the newest stored snapshot.
    pub(super) since_snapshot: u64,
}

impl DayEntry {
    /// A day just opened (its matrix will be stored as number 1).
    pub(super) fn opened(
        live: LiveDay,
        labels: DayLabels,
        roads: RoadLocations,
        profile: Profile,
        max_snap_m: f64,
    ) -> DayEntry {
        DayEntry {
            live,
            labels,
            roads,
            profile,
            max_snap_m,
            open: true,
            matrix: 1,
            since_snapshot: 0,
        }
    }

    /// The snapshot to store: the day without its matrix, and what the service adds.
    pub(super) fn snapshot(&self) -> Result<String, ServiceError> {
        serde_json::to_string(&DaySnapshot {
            day: self.live.day().export_plan(),
            labels: self.labels.clone(),
            nodes: self.roads.nodes.iter().map(|n| n.0).collect(),
            profile: self.profile.name().to_string(),
            max_snap_m: self.max_snap_m,
        })
        .map_err(|e| ServiceError::Internal(format!("snapshot: {e}")))
    }

    /// The day's matrix as the store keeps it.
    pub(super) fn matrix_bytes(&self) -> Result<Vec<u8>, ServiceError> {
        self.live
            .day()
            .times()
            .to_state()
            .to_bytes()
            .map_err(|e| ServiceError::Internal(format!("matrix: {e}")))
    }

    /// The day's view for a caller (`only`: one courier's route).
    pub(super) fn view(&self, day_id: &str, only: Option<usize>) -> pb::Day {
        convert::day_view(day_id, &self.live, &self.labels, self.open, only)
    }
}

/// A day's slot: the entry behind an async lock, and the plan version watchers wait on.
#[derive(Debug)]
pub struct DaySlot {
    pub(super) entry: Arc<tokio::sync::Mutex<DayEntry>>,
    pub(super) changed: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Book {
    days: HashMap<(TenantId, String), Arc<DaySlot>>,
    /// Days being opened, per tenant (counted against the quota before they exist).
    opening: HashMap<TenantId, u32>,
}

/// Every open day of every tenant, and the store they persist in.
#[derive(Debug)]
pub struct LiveDays {
    book: Mutex<Book>,
    pub(super) store: Store,
}

/// A place for a day being opened, counted against the tenant's quota; given back on drop.
pub(super) struct Reservation<'a> {
    days: &'a LiveDays,
    tenant: TenantId,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut book = self.days.lock();
        if let Some(n) = book.opening.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
        }
    }
}

fn no_day(day_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no open day {day_id:?}"))
}

/// What a snapshot stored before migration 0009 carries besides [`DaySnapshot`]: the matrix.
#[derive(Deserialize)]
struct OldSnapshot {
    day: OldDay,
}

#[derive(Deserialize)]
struct OldDay {
    times: MatrixState,
}

/// A stored matrix, decoded and checked.
async fn stored_matrix(
    store: &Store,
    tenant: &str,
    day_id: &str,
    number: u64,
) -> anyhow::Result<TravelTimes> {
    let no = i64::try_from(number).map_err(|_| anyhow::anyhow!("matrix number {number}"))?;
    let bytes = store
        .live_day_matrix(tenant, day_id, no)
        .await?
        .ok_or_else(|| anyhow::anyhow!("matrix {number} is not stored"))?;
    let state =
        MatrixState::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("matrix {number}: {e}"))?;
    TravelTimes::from_state(state).map_err(|e| anyhow::anyhow!("matrix {number}: {e}"))
}

/// The newest snapshot of a day, its matrix moved out first when it was stored before
/// migration 0009 (matrix number 0: the JSON carries it).
async fn snapshot_with_matrix(
    store: &Store,
    stored: &StoredLiveDay,
) -> anyhow::Result<(StoredSnapshot, DaySnapshot)> {
    let (tenant, day_id) = (stored.tenant.as_str(), stored.day_id.as_str());
    let mut snapshot = store
        .live_day_snapshot(tenant, day_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no snapshot at seq {}", stored.snapshot_seq))?;
    let snap: DaySnapshot = serde_json::from_str(&snapshot.state)?;
    if snapshot.matrix == 0 {
        let old: OldSnapshot = serde_json::from_str(&snapshot.state)?;
        let bytes = old
            .day
            .times
            .to_bytes()
            .map_err(|e| anyhow::anyhow!("the stored matrix: {e}"))?;
        let state = serde_json::to_string(&snap)?;
        anyhow::ensure!(
            store
                .move_live_snapshot_matrix(tenant, day_id, snapshot.seq, &bytes, &state)
                .await?,
            "the snapshot's matrix was moved by another server"
        );
        tracing::info!(
            tenant,
            day_id,
            "moved the matrix out of a snapshot stored before migration 0009"
        );
        snapshot.matrix = 1;
        snapshot.state = state;
    }
    Ok((snapshot, snap))
}

/// A day from the store: its newest snapshot with its matrix, and the events logged after
/// it, re-applied (a traffic event with its stored matrix).
async fn load_entry(store: &Store, stored: &StoredLiveDay) -> anyhow::Result<DayEntry> {
    let (tenant, day_id) = (stored.tenant.as_str(), stored.day_id.as_str());
    let (snapshot, snap) = snapshot_with_matrix(store, stored).await?;
    let version = |v: i64| u64::try_from(v).map_err(|_| anyhow::anyhow!("version {v}"));
    let mut matrix = u64::try_from(snapshot.matrix)
        .map_err(|_| anyhow::anyhow!("matrix number {}", snapshot.matrix))?;
    let times = stored_matrix(store, tenant, day_id, matrix).await?;
    let mut labels = snap.labels;
    labels.index();
    let profile = convert::profile_named(&snap.profile)
        .ok_or_else(|| anyhow::anyhow!("unknown network {:?}", snap.profile))?;
    let day = Dispatch::restore_with(times, snap.day)?;
    let events = store.live_day_events(tenant, day_id).await?;
    let mut done = Vec::new();
    for e in events.iter().filter(|e| e.seq <= snapshot.seq) {
        done.push((e.event_id.clone(), version(e.plan_version)?));
    }
    let mut live = LiveDay::resume(day, version(snapshot.plan_version)?, done);
    let options = replan_options();
    let mut since_snapshot = 0;
    for e in events.iter().filter(|e| e.seq > snapshot.seq) {
        let logged: LoggedEvent = serde_json::from_str(&e.event)?;
        let recorded = version(e.plan_version)?;
        if let LoggedEvent::Traffic { time_s, matrix: m } = logged {
            let times = stored_matrix(store, tenant, day_id, m).await?;
            let kind = EventKind::Traffic(Box::new(times));
            live.replay_event(&e.event_id, Event { time_s, kind }, recorded, &options)?;
            matrix = matrix.max(m);
        } else {
            live.replay(&e.event_id, &logged, recorded, &options)?;
        }
        since_snapshot += 1;
    }
    anyhow::ensure!(
        live.version() == version(stored.plan_version)?,
        "the log ends at version {}, the day row says {}",
        live.version(),
        stored.plan_version
    );
    Ok(DayEntry {
        live,
        labels,
        roads: RoadLocations {
            nodes: snap.nodes.into_iter().map(NodeId).collect(),
        },
        profile,
        max_snap_m: snap.max_snap_m,
        open: stored.open,
        matrix,
        since_snapshot,
    })
}

impl LiveDays {
    /// No day yet, persisting in `store`.
    pub fn new(store: Store) -> LiveDays {
        LiveDays {
            book: Mutex::new(Book::default()),
            store,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings back every open day of the store (of the configured tenants): its snapshot and
    /// the events after it. Returns how many were restored; a day that cannot be restored
    /// stops the start (its rows are left as they are).
    pub async fn restore(&self, tenants: &[TenantId]) -> anyhow::Result<usize> {
        let mut restored = 0;
        for stored in self.store.open_live_days().await? {
            let tenant = TenantId(stored.tenant.clone());
            if !tenants.contains(&tenant) {
                tracing::warn!(%tenant, day = %stored.day_id, "open day of an unconfigured tenant left in the store");
                continue;
            }
            let entry = load_entry(&self.store, &stored).await.map_err(|e| {
                anyhow::anyhow!("restoring day {} of {}: {e}", stored.day_id, tenant)
            })?;
            self.insert(tenant, stored.day_id.clone(), entry);
            restored += 1;
        }
        Ok(restored)
    }

    /// Holds a day in memory.
    pub(super) fn insert(&self, tenant: TenantId, day_id: String, entry: DayEntry) {
        let version = entry.live.version();
        let slot = DaySlot {
            entry: Arc::new(tokio::sync::Mutex::new(entry)),
            changed: watch::channel(version).0,
        };
        self.lock().days.insert((tenant, day_id), Arc::new(slot));
    }

    /// Drops a closed day from memory.
    pub(super) fn remove(&self, tenant: TenantId, day_id: String) {
        self.lock().days.remove(&(tenant, day_id));
    }

    /// Open days of a tenant (those being opened included).
    pub fn open_days(&self, tenant: &TenantId) -> usize {
        let book = self.lock();
        book.days.keys().filter(|(t, _)| t == tenant).count()
            + book.opening.get(tenant).copied().unwrap_or(0) as usize
    }

    /// A place for a day of `tenant` being opened, refused past `max` open days.
    pub(super) fn reserve(
        &self,
        tenant: &TenantId,
        max: u32,
    ) -> Result<Reservation<'_>, ServiceError> {
        let mut book = self.lock();
        let open = book.days.keys().filter(|(t, _)| t == tenant).count() as u64
            + u64::from(book.opening.get(tenant).copied().unwrap_or(0));
        if open >= u64::from(max) {
            return Err(ServiceError::Exhausted {
                what: format!("max_live_days ({max}): close a day first"),
                retry_after: Duration::from_secs(60),
            });
        }
        *book.opening.entry(tenant.clone()).or_insert(0) += 1;
        Ok(Reservation {
            days: self,
            tenant: tenant.clone(),
        })
    }

    /// A tenant's open day; another tenant's id is NOT_FOUND like an unknown one.
    pub(super) fn slot(
        &self,
        tenant: &TenantId,
        day_id: &str,
    ) -> Result<Arc<DaySlot>, ServiceError> {
        self.lock()
            .days
            .get(&(tenant.clone(), day_id.to_string()))
            .cloned()
            .ok_or_else(|| no_day(day_id))
    }

    /// Reloads a day from the store after a write that failed (the day in memory may hold
    /// an event that is not stored).
    pub(super) async fn reload(&self, tenant: &TenantId, day_id: &str, entry: &mut DayEntry) {
        let reloaded = async {
            let stored = self
                .store
                .live_day(&tenant.0, day_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the day is gone from the store"))?;
            load_entry(&self.store, &stored).await
        }
        .await;
        match reloaded {
            Ok(fresh) => *entry = fresh,
            Err(e) => {
                tracing::error!(%tenant, day_id, error = %e, "a day could not be reloaded; it is closed in memory");
                entry.open = false;
                self.remove(tenant.clone(), day_id.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use milkrun_dispatch::{CourierSpec, Progression, StopSpec, Weights};

    /// Three stops on a line, one courier, planned; the couriers report their progress.
    fn day() -> Dispatch {
        let times = TravelTimes::from_fn(4, |i, j| {
            let d = (i as i64 - j as i64).abs();
            (d * 60, d * 250)
        });
        let stops = (1..4)
            .map(|l| StopSpec {
                household: l - 1,
                loc: l,
                bottles: 1,
                service_s: 30,
                window_s: (18_000, 27_000),
            })
            .collect();
        let couriers = vec![CourierSpec {
            id: 1,
            capacity: 10,
            shift_start_s: 15_300,
            shift_end_s: 32_400,
        }];
        let mut d = Dispatch::new(times, 0, stops, couriers, Weights::default()).unwrap();
        d.set_progression(Progression::Reported);
        d.set_plan(&[vec![0, 1, 2]], &replan_options()).unwrap();
        d
    }

    /// A day stored before migration 0009 (the snapshot's JSON carries the matrix): the
    /// migration moves its snapshot, the restore gives the same day back and moves the
    /// matrix out (matrix 1, a snapshot without it), and a second restore reads that form.
    #[tokio::test]
    async fn an_old_snapshot_gives_its_matrix_up_at_restore() {
        let path = std::env::temp_dir().join(format!(
            "milkrun-serve-live-days-{}-old.db",
            std::process::id()
        ));
        let remove = || {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        };
        remove();
        let url = format!("sqlite://{}", path.display());
        let d = day();
        let labels = DayLabels::new(vec!["a".into(), "b".into(), "c".into()], vec!["c1".into()]);
        let old_json = serde_json::json!({
            "day": d.export(),
            "labels": labels,
            "nodes": [10, 11, 12, 13],
            "profile": Profile::Bike.name(),
            "max_snap_m": 50.0,
        })
        .to_string();
        let old = Store::open_migrated_to(&url, 8).await.unwrap();
        sqlx::query(
            "INSERT INTO live_days (tenant, day_id, status, plan_version, opening_snapshot, \
             snapshot, snapshot_seq, snapshot_version) VALUES ('acme', 'd1', 'open', 1, $1, \
             $1, 0, 1)",
        )
        .bind(&old_json)
        .execute(old.pool())
        .await
        .unwrap();
        old.close().await;
        let store = Store::open(&url).await.unwrap();
        let tenant = TenantId("acme".into());
        for _ in 0..2 {
            let days = LiveDays::new(store.clone());
            assert_eq!(
                days.restore(std::slice::from_ref(&tenant)).await.unwrap(),
                1
            );
            let slot = days.slot(&tenant, "d1").unwrap();
            let entry = slot.entry.lock().await;
            assert!(*entry.live.day() == d, "the same day");
            assert_eq!((entry.matrix, entry.since_snapshot), (1, 0));
            assert_eq!(entry.labels.couriers, ["c1"]);
            assert_eq!(
                store.live_day_matrices("acme", "d1").await.unwrap(),
                [(1, 0)]
            );
            let snap = store
                .live_day_snapshot("acme", "d1")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(snap.matrix, 1);
            assert!(
                !snap.state.contains("travel_s"),
                "the snapshot holds no matrix"
            );
        }
        store.close().await;
        remove();
    }
}
