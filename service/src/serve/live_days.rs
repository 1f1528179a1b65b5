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
//! Several replicas may share one store (PostgreSQL): exactly one of them runs each day, the
//! holder of the day's lease (`milkrun_dairy::store::live_day_leases`). A replica holds the
//! days it opened or took over, renews all its leases every [`RENEW_EVERY`] for
//! [`LEASE_TTL`] ([`LiveDays::renew`]) and drops from memory a day whose lease another
//! replica took. Asked for a day it does not hold ([`LiveDays::slot`]), a replica claims its
//! lease: when the lease lapsed (its owner died) it takes the day over from the store
//! (snapshot, matrix, events, as at a restart); while another replica holds it, the call is
//! answered UNAVAILABLE with a retry delay ([`ServiceError::Elsewhere`]). Each replica also
//! sweeps the store every `live_days.sweep_ms` of the config ([`LiveDays::sweep`]) and takes
//! over the open days whose lease lapsed, so a dead replica's days move within about
//! [`LEASE_TTL`] plus a sweep even when nobody calls. Every write of a
//! day carries the lease epoch of its slot, checked in the write's transaction, so a replica
//! that lost a day cannot write to it. On SQLite the store is one process's own: a claim
//! takes the day whoever held it (an earlier run of the same server).
//!
//! This module knows the store and the dispatch crate, not the handlers or the service's
//! shared state: `dispatch.rs` (the handlers) uses it, `state.rs` holds it.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use milkrun_dairy::store::live_day_leases::LeaseClaim;
use milkrun_dairy::store::live_days::{StoredLiveDay, StoredSnapshot};
use milkrun_dairy::store::{Backend, Store, StoreError};
use milkrun_dispatch::{
    Dispatch, Event, EventKind, LiveDay, LoggedEvent, MatrixState, TravelTimes,
};
use milkrun_engine::Profile;
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
/// How long a replica's lease of a day runs after each renewal: a day whose replica died is
/// taken over by the next replica asked within this time.
pub const LEASE_TTL: Duration = Duration::from_secs(4);
/// How often a replica renews its leases.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);
/// How long after a claim or renewal started a replica uses a day without asking the store
/// again: the lease less a margin for the database's round trip.
const LOCAL_LEASE: Duration = Duration::from_secs(3);
/// The shortest retry delay answered for a day another replica runs.
const MIN_RETRY: Duration = Duration::from_millis(200);
/// Most lapsed days one sweep takes over (the next sweep takes the rest).
const MAX_SWEPT: i64 = 256;

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
            nodes: self.roads.doors.iter().map(|d| d.node.0).collect(),
            doors: DaySnapshot::stored_doors(&self.roads),
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

/// A day's slot: the entry behind an async lock, the plan version watchers wait on, the
/// lease epoch the day's writes carry, and whether the day was lost to another replica.
#[derive(Debug)]
pub struct DaySlot {
    pub(super) entry: Arc<tokio::sync::Mutex<DayEntry>>,
    pub(super) changed: watch::Sender<u64>,
    pub(super) epoch: i64,
    lost: AtomicBool,
    /// Until when this replica's lease surely runs, on its own clock: [`LOCAL_LEASE`] after
    /// the start of the claim or renewal that last extended it.
    valid_until: Mutex<Instant>,
}

impl DaySlot {
    /// Whether the lease surely still runs (else the store is asked before the day is used:
    /// the replica may have been paused past it, and the day taken over).
    fn lease_valid(&self) -> bool {
        Instant::now()
            < *self
                .valid_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
    }

    /// The lease was extended by a claim or renewal that started at `at`.
    fn extend(&self, at: Instant) {
        let mut until = self
            .valid_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *until = (*until).max(at + LOCAL_LEASE);
    }

    /// Whether another replica took the day over (this slot may not be used any more).
    pub(super) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }
}

#[derive(Debug, Default)]
struct Book {
    days: HashMap<(TenantId, String), Arc<DaySlot>>,
    /// Days being opened, per tenant (counted against the quota before they exist).
    opening: HashMap<TenantId, u32>,
}

/// Every open day of every tenant that this replica runs, and the store they persist in.
#[derive(Debug)]
pub struct LiveDays {
    book: Mutex<Book>,
    pub(super) store: Store,
    /// This replica's id, the owner of its leases.
    replica: String,
    /// Claims take a day whoever holds it (SQLite: one process is the only replica).
    force: bool,
    /// Held while a day is added (opened or taken over) and while leases are renewed, so a
    /// renewal never drops a day added after it read the leases.
    adding: tokio::sync::Mutex<()>,
    /// The last renewal that reached the store.
    renewed: Mutex<Instant>,
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

fn ttl_ms() -> i64 {
    LEASE_TTL.as_millis() as i64
}

fn store_down(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("the live-day store: {e}"))
}

/// A day run by another replica (`owner`, its lease running `left_ms` more).
pub(super) fn elsewhere(day_id: &str, owner: &str, left_ms: i64) -> ServiceError {
    let left = Duration::from_millis(u64::try_from(left_ms).unwrap_or(0));
    ServiceError::Elsewhere {
        what: format!("day {day_id:?} is run by replica {owner:?}; send the call again"),
        retry_after: left.clamp(MIN_RETRY, LEASE_TTL),
    }
}

/// A day this replica lost while a call used it.
pub(super) fn lost(day_id: &str) -> ServiceError {
    ServiceError::Elsewhere {
        what: format!("day {day_id:?} was taken over by another replica; send the call again"),
        retry_after: MIN_RETRY,
    }
}

/// A new replica id: the host name (the pod's name on Kubernetes), the process id and the
/// start time, so that a restarted process never takes its predecessor's leases for its own.
pub fn new_replica_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "milkrun".to_string());
    let host: String = host.chars().take(64).collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!("{host}-{}-{nanos:x}", std::process::id())
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
    let roads = snap
        .road_locations()
        .map_err(|e| anyhow::anyhow!("the snapshot's locations: {e}"))?;
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
        roads,
        profile,
        max_snap_m: snap.max_snap_m,
        open: stored.open,
        matrix,
        since_snapshot,
    })
}

impl LiveDays {
    /// No day yet, persisting in `store`, this replica known as `replica` (see
    /// [`new_replica_id`]).
    pub fn new(store: Store, replica: String) -> LiveDays {
        LiveDays {
            book: Mutex::new(Book::default()),
            force: store.backend() == Backend::Sqlite,
            store,
            replica,
            adding: tokio::sync::Mutex::new(()),
            renewed: Mutex::new(Instant::now()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This replica's id.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Brings back every open day of the store (of the configured tenants) whose lease this
    /// replica can take: its snapshot and the events after it. Days another live replica
    /// runs are left to it. Returns how many were restored; a day that cannot be restored
    /// stops the start (its rows are left as they are).
    pub async fn restore(&self, tenants: &[TenantId]) -> anyhow::Result<usize> {
        let mut restored = 0;
        for stored in self.store.open_live_days().await? {
            let tenant = TenantId(stored.tenant.clone());
            if !tenants.contains(&tenant) {
                tracing::warn!(%tenant, day = %stored.day_id, "open day of an unconfigured tenant left in the store");
                continue;
            }
            let _adding = self.adding.lock().await;
            let claimed_at = Instant::now();
            let claim = self
                .store
                .claim_live_day(
                    &tenant.0,
                    &stored.day_id,
                    &self.replica,
                    ttl_ms(),
                    self.force,
                )
                .await?;
            let Some(LeaseClaim::Held { epoch }) = claim else {
                tracing::info!(%tenant, day = %stored.day_id, "open day run by another replica");
                continue;
            };
            let stored = self
                .store
                .live_day(&tenant.0, &stored.day_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("day {} is gone", stored.day_id))?;
            let entry = load_entry(&self.store, &stored).await.map_err(|e| {
                anyhow::anyhow!("restoring day {} of {}: {e}", stored.day_id, tenant)
            })?;
            self.insert(tenant, stored.day_id.clone(), entry, epoch, claimed_at);
            restored += 1;
        }
        Ok(restored)
    }

    /// Stores a day just opened, its lease held by this replica, and holds it in memory.
    pub(super) async fn create(
        &self,
        tenant: &TenantId,
        day_id: &str,
        entry: DayEntry,
        matrix: &[u8],
        snapshot: &str,
    ) -> Result<(), ServiceError> {
        let _adding = self.adding.lock().await;
        let claimed_at = Instant::now();
        let epoch = self
            .store
            .create_owned_live_day(&tenant.0, day_id, matrix, snapshot, &self.replica, ttl_ms())
            .await
            .map_err(store_down)?;
        self.insert(tenant.clone(), day_id.to_string(), entry, epoch, claimed_at);
        Ok(())
    }

    /// Renews this replica's leases in the store, and drops from memory every day whose
    /// lease it no longer holds (taken over while it was paused or cut off). When the store
    /// cannot be reached for longer than [`LEASE_TTL`], every day is dropped: another
    /// replica may have taken them. Returns how many days this replica runs.
    pub async fn renew(&self) -> usize {
        let _adding = self.adding.lock().await;
        let started = Instant::now();
        if self.lock().days.is_empty() {
            // Nothing to renew (no write each second on an idle store).
            *self.renewed.lock().unwrap_or_else(PoisonError::into_inner) = started;
            return 0;
        }
        match self
            .store
            .renew_live_day_leases(&self.replica, ttl_ms())
            .await
        {
            Ok(held) => {
                *self.renewed.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
                let held: HashSet<(String, String, i64)> = held
                    .into_iter()
                    .map(|l| (l.tenant, l.day_id, l.epoch))
                    .collect();
                let left = self.drop_where(|(tenant, day_id), slot| {
                    !held.contains(&(tenant.0.clone(), day_id.clone(), slot.epoch))
                });
                for slot in self.lock().days.values() {
                    slot.extend(started);
                }
                left
            }
            Err(e) => {
                let since = self
                    .renewed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .elapsed();
                tracing::warn!(error = %e, since_ms = since.as_millis() as u64, "live-day leases not renewed");
                if since > LEASE_TTL {
                    self.drop_where(|_, _| true)
                } else {
                    self.lock().days.len()
                }
            }
        }
    }

    /// Drops the days `lose` picks from memory (marked lost, their watchers told); returns
    /// how many are left.
    fn drop_where(&self, lose: impl Fn(&(TenantId, String), &DaySlot) -> bool) -> usize {
        let mut book = self.lock();
        let gone: Vec<(TenantId, String)> = book
            .days
            .iter()
            .filter(|(k, slot)| lose(k, slot))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            if let Some(slot) = book.days.remove(&key) {
                tracing::warn!(tenant = %key.0, day = %key.1, epoch = slot.epoch, "live day lost to another replica");
                slot.lost.store(true, Ordering::Release);
                slot.changed.send_modify(|_| {});
            }
        }
        book.days.len()
    }

    /// Drops one day this replica found it lost (a write was fenced).
    pub(super) fn lose(&self, tenant: &TenantId, day_id: &str, slot: &Arc<DaySlot>) {
        self.drop_where(|(t, d), s| t == tenant && d == day_id && std::ptr::eq(s, &**slot));
    }

    /// Takes over the open days of `tenants` whose lease lapsed (their replica died or
    /// stopped), as a call for them would ([`LiveDays::slot`]: claim, then snapshot, matrix
    /// and events from the store), so couriers' events find a live owner without a first
    /// refused call. Several replicas sweeping at once race on each claim; the lease's epoch
    /// lets one win, the others see the day held elsewhere and leave it. Returns how many
    /// days this sweep took over. On SQLite (one process) there is nothing to sweep.
    pub async fn sweep(&self, tenants: &[TenantId]) -> usize {
        if self.force {
            return 0;
        }
        let lapsed = match self.store.lapsed_live_days(MAX_SWEPT).await {
            Ok(days) => days,
            Err(e) => {
                tracing::warn!(error = %e, "lapsed live days not read; the next sweep tries again");
                return 0;
            }
        };
        let mut taken = 0;
        for (tenant, day_id) in lapsed {
            let tenant = TenantId(tenant);
            if !tenants.contains(&tenant) {
                continue;
            }
            // This replica's own lapsed lease (it was paused) is renewed by `renew`.
            if self.held_slot(&tenant, &day_id).is_some() {
                continue;
            }
            match self.slot(&tenant, &day_id).await {
                Ok(_) => {
                    tracing::info!(%tenant, day_id, "live day taken over by the sweep");
                    taken += 1;
                }
                // Another replica won the claim, or the day was closed meanwhile.
                Err(ServiceError::Elsewhere { .. } | ServiceError::NotFound(_)) => {}
                Err(e) => {
                    tracing::warn!(%tenant, day_id, error = %e, "a lapsed live day was not taken over");
                }
            }
        }
        taken
    }

    /// Ends this replica's leases (a clean shutdown): the next replica asked takes its days
    /// over at once.
    pub async fn release(&self) -> Result<u64, StoreError> {
        self.store.release_live_day_leases(&self.replica).await
    }

    /// Holds a day in memory, its writes carrying lease `epoch`, claimed at `since`.
    fn insert(
        &self,
        tenant: TenantId,
        day_id: String,
        entry: DayEntry,
        epoch: i64,
        since: Instant,
    ) {
        let version = entry.live.version();
        let slot = DaySlot {
            entry: Arc::new(tokio::sync::Mutex::new(entry)),
            changed: watch::channel(version).0,
            epoch,
            lost: AtomicBool::new(false),
            valid_until: Mutex::new(since + LOCAL_LEASE),
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

    /// Open days this replica runs.
    pub fn held(&self) -> usize {
        self.lock().days.len()
    }

    fn held_slot(&self, tenant: &TenantId, day_id: &str) -> Option<Arc<DaySlot>> {
        self.lock()
            .days
            .get(&(tenant.clone(), day_id.to_string()))
            .cloned()
    }

    /// A tenant's open day, run by this replica: held already, or taken over from the store
    /// when its lease is free or lapsed. A day another replica runs is
    /// [`ServiceError::Elsewhere`]; another tenant's id is NOT_FOUND like an unknown one.
    pub(super) async fn slot(
        &self,
        tenant: &TenantId,
        day_id: &str,
    ) -> Result<Arc<DaySlot>, ServiceError> {
        let held = self.held_slot(tenant, day_id);
        if let Some(slot) = held.as_ref().filter(|s| s.lease_valid()) {
            return Ok(Arc::clone(slot));
        }
        let _adding = self.adding.lock().await;
        let claimed_at = Instant::now();
        let held = self.held_slot(tenant, day_id).or(held);
        if let Some(slot) = held.as_ref().filter(|s| s.lease_valid()) {
            return Ok(Arc::clone(slot));
        }
        // Not held, or held past the lease as this replica last renewed it (it was paused or
        // cut off): the store says who runs the day now.
        let claim = self
            .store
            .claim_live_day(&tenant.0, day_id, &self.replica, ttl_ms(), self.force)
            .await
            .map_err(store_down)?;
        let epoch = match claim {
            Some(LeaseClaim::Held { epoch }) => epoch,
            other => {
                if let Some(slot) = &held {
                    self.lose(tenant, day_id, slot);
                }
                return Err(match other {
                    None => no_day(day_id),
                    Some(LeaseClaim::Elsewhere {
                        owner,
                        expires_in_ms,
                    }) => elsewhere(day_id, &owner, expires_in_ms),
                    Some(other) => {
                        ServiceError::Internal(format!("unexpected lease claim {other:?}"))
                    }
                });
            }
        };
        if let Some(slot) = held {
            if slot.epoch == epoch && !slot.is_lost() {
                // Nobody took it meanwhile: the day in memory is the day.
                slot.extend(claimed_at);
                return Ok(slot);
            }
            // Taken and given back meanwhile: memory may miss events; the store has them.
            self.lose(tenant, day_id, &slot);
        }
        let started = Instant::now();
        let stored = self
            .store
            .live_day(&tenant.0, day_id)
            .await
            .map_err(store_down)?
            .ok_or_else(|| no_day(day_id))?;
        let entry = load_entry(&self.store, &stored).await.map_err(|e| {
            tracing::error!(%tenant, day_id, error = %e, "a day could not be taken over");
            ServiceError::Unavailable(format!("day {day_id:?} could not be taken over: {e}"))
        })?;
        tracing::info!(%tenant, day_id, epoch, load_ms = started.elapsed().as_millis() as u64, "live day taken over");
        self.insert(tenant.clone(), day_id.to_string(), entry, epoch, claimed_at);
        self.held_slot(tenant, day_id)
            .ok_or_else(|| ServiceError::Internal("a day taken over is not held".into()))
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
        three_stops(times, 27_000, 1, 32_400)
    }

    /// Stops at locations 1-3 (windows from 05:00 to `window_end_s`), one courier `courier`
    /// on shift from 04:15 to `shift_end_s`, planned in that order; progress reported.
    fn three_stops(
        times: TravelTimes,
        window_end_s: i64,
        courier: u32,
        shift_end_s: i64,
    ) -> Dispatch {
        let stops = (1..4)
            .map(|l| StopSpec {
                household: l - 1,
                loc: l,
                bottles: 1,
                service_s: 30,
                window_s: (18_000, window_end_s),
            })
            .collect();
        let couriers = vec![CourierSpec {
            id: courier,
            capacity: 10,
            shift_start_s: 15_300,
            shift_end_s,
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
        for run in 0..2 {
            let days = LiveDays::new(store.clone(), format!("replica-{run}"));
            assert_eq!(
                days.restore(std::slice::from_ref(&tenant)).await.unwrap(),
                1
            );
            let slot = days.slot(&tenant, "d1").await.unwrap();
            assert_eq!(
                slot.epoch,
                run + 1,
                "each run takes the day over (SQLite: forced)"
            );
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

    /// Door to door (issue #25): a day opened on the roads with two doors on one road
    /// position (apart in its matrix), stored and restored, keeps its doors and access legs
    /// and its matrix; the restored day's next matrices (a traffic refresh, a late order's
    /// address on the same road position) equal the original's.
    #[tokio::test]
    async fn a_restored_day_keeps_its_doors() {
        use milkrun_engine::{generate_grid, GridSpec, LatLon, NodeId, RoadEngine};
        let path = std::env::temp_dir().join(format!(
            "milkrun-serve-live-days-{}-doors.db",
            std::process::id()
        ));
        let remove = || {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        };
        remove();
        let (graph, _) = generate_grid(&GridSpec::city(400, 5)).unwrap();
        let engine = RoadEngine::prepare(graph);
        let g = engine.graph();
        let c = g.coord(NodeId(57));
        let at = |dlat: f64, dlon: f64| LatLon {
            lat: c.lat + dlat,
            lon: c.lon + dlon,
        };
        let points = [
            g.coord(NodeId(0)),
            at(0.0001, 0.0001),
            at(-0.0001, -0.0001),
            at(0.0, 0.0002),
        ];
        let roads = RoadLocations::snap(&engine, &points, 100.0).unwrap();
        assert_eq!(
            roads.doors[1].node, roads.doors[2].node,
            "one road position"
        );
        let times = roads.matrix(&engine).unwrap();
        assert!(times.travel(1, 2) > 10, "{}", times.travel(1, 2));
        let d = three_stops(times, 40_000, 0, 43_200);
        let labels = DayLabels::new(vec!["a".into(), "b".into(), "c".into()], vec!["c1".into()]);
        let entry = DayEntry::opened(LiveDay::open(d), labels, roads, Profile::Bike, 100.0);
        let (matrix, snapshot) = (entry.matrix_bytes().unwrap(), entry.snapshot().unwrap());
        let mut original = entry.roads.clone();
        let original_times = entry.live.day().times().clone();
        let store = Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let tenant = TenantId("acme".into());
        LiveDays::new(store.clone(), "replica-0".into())
            .create(&tenant, "d1", entry, &matrix, &snapshot)
            .await
            .unwrap();
        let days = LiveDays::new(store.clone(), "replica-1".into());
        assert_eq!(
            days.restore(std::slice::from_ref(&tenant)).await.unwrap(),
            1
        );
        let slot = days.slot(&tenant, "d1").await.unwrap();
        let mut restored = slot.entry.lock().await;
        assert_eq!(restored.roads, original, "the same doors and access legs");
        assert!(
            *restored.live.day().times() == original_times,
            "the same matrix"
        );
        assert_eq!(
            restored.roads.matrix(&engine).unwrap().travel(1, 2),
            original_times.travel(1, 2),
            "a traffic refresh counts the doors as the open did"
        );
        let late = at(0.0001, -0.0001);
        let a = original.add(&engine, late, 100.0).unwrap();
        let b = restored.roads.add(&engine, late, 100.0).unwrap();
        assert_eq!(a, b, "a late order's legs");
        assert!(a.0[1].0 > 0 && a.0[2].0 > 0, "{a:?}");
        drop(restored);
        store.close().await;
        remove();
    }
}
