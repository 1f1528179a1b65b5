//! The road networks (car, bike, foot), prepared once and shared by every tenant, and each
//! tenant's own traffic overlay per network, created on first use.
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use milkrun_engine::{import_pbf_file, Profile, RoadNetwork, TrafficOverlay};

use super::config::TenantId;
use super::proto::v1 as pb;

/// Every profile served.
pub const PROFILES: [Profile; 3] = [Profile::Car, Profile::Bike, Profile::Foot];

/// Most traffic batches a tenant keeps per network (clear to make room).
pub const MAX_TRAFFIC_BATCHES: usize = 1_000;

/// One tenant's traffic on one network: the overlay and the batches applied to it.
#[derive(Debug)]
pub struct TenantTraffic {
    /// The overlay queries read (replaced by a fresh one on clear).
    pub overlay: Arc<TrafficOverlay>,
    /// The batches applied since the last clear: (id, updates as received).
    pub applied: Vec<(u64, Vec<pb::TrafficUpdate>)>,
    /// The id of the next batch.
    pub next_id: u64,
}

/// Each tenant's traffic per network, keyed by tenant and profile.
type TrafficBook = HashMap<(TenantId, Profile), Arc<Mutex<TenantTraffic>>>;

/// The shared networks and the per-tenant overlays.
#[derive(Debug)]
pub struct RoadRegistry {
    networks: HashMap<Profile, Arc<RoadNetwork>>,
    tenants: Mutex<TrafficBook>,
    identity: String,
}

impl RoadRegistry {
    /// Imports an OSM extract once per profile (in parallel) and prepares each network.
    pub fn load(osm: &Path) -> anyhow::Result<RoadRegistry> {
        let identity = road_set_identity(osm)?;
        let networks = std::thread::scope(|s| {
            let handles: Vec<_> = PROFILES
                .iter()
                .map(|&p| {
                    s.spawn(move || -> anyhow::Result<(Profile, Arc<RoadNetwork>)> {
                        let (graph, _) = import_pbf_file(osm, p).map_err(|e| {
                            anyhow::anyhow!("importing {} for {}: {e}", osm.display(), p.name())
                        })?;
                        Ok((p, Arc::new(RoadNetwork::prepare(graph))))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a road import thread panicked"))?
                })
                .collect::<anyhow::Result<HashMap<_, _>>>()
        })?;
        Ok(RoadRegistry {
            networks,
            tenants: Mutex::new(HashMap::new()),
            identity,
        })
    }

    /// The road set's identity: `osm-<bytes>-<first 16 hex digits of the extract's
    /// SHA-256>`. A `milkrun worker` runs an optimization of `serve --nats` only on the
    /// same road set (the job carries serve's identity).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Whether the tenant has live traffic on a profile's network (a batch applied since the
    /// last clear). Traffic lives in this replica's memory, so such a tenant's optimizations
    /// on that network run here, not on a worker.
    pub fn has_traffic(&self, tenant: &TenantId, profile: Profile) -> bool {
        let map = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&(tenant.clone(), profile)).is_some_and(|t| {
            !t.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .applied
                .is_empty()
        })
    }

    /// A profile's network (shared by every tenant, without traffic).
    pub fn network(&self, profile: Profile) -> Option<Arc<RoadNetwork>> {
        self.networks.get(&profile).cloned()
    }

    /// The tenant's traffic on a profile's network, created (empty) on first use.
    pub fn traffic(
        &self,
        tenant: &TenantId,
        profile: Profile,
    ) -> anyhow::Result<Arc<Mutex<TenantTraffic>>> {
        let network = self
            .networks
            .get(&profile)
            .ok_or_else(|| anyhow::anyhow!("no {} network loaded", profile.name()))?;
        let mut map = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.entry((tenant.clone(), profile)).or_insert_with(|| {
            Arc::new(Mutex::new(TenantTraffic {
                overlay: Arc::new(TrafficOverlay::new(Arc::clone(network))),
                applied: Vec::new(),
                next_id: 1,
            }))
        });
        Ok(Arc::clone(entry))
    }

    /// The overlay the tenant's queries on a profile read now.
    pub fn overlay(
        &self,
        tenant: &TenantId,
        profile: Profile,
    ) -> anyhow::Result<Arc<TrafficOverlay>> {
        let traffic = self.traffic(tenant, profile)?;
        let t = traffic.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Arc::clone(&t.overlay))
    }

    /// A fresh overlay (no traffic) on a profile's network.
    pub fn fresh_overlay(&self, profile: Profile) -> anyhow::Result<Arc<TrafficOverlay>> {
        let network = self
            .networks
            .get(&profile)
            .ok_or_else(|| anyhow::anyhow!("no {} network loaded", profile.name()))?;
        Ok(Arc::new(TrafficOverlay::new(Arc::clone(network))))
    }
}

/// The identity of the road set an extract gives (see [`RoadRegistry::identity`]), read in
/// 1 MiB pieces.
pub fn road_set_identity(osm: &Path) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file =
        std::fs::File::open(osm).map_err(|e| anyhow::anyhow!("reading {}: {e}", osm.display()))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes: u64 = 0;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", osm.display()))?;
        if n == 0 {
            break;
        }
        bytes = bytes.saturating_add(n as u64);
        hash.update(buf.get(..n).unwrap_or_default());
    }
    let hex: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("osm-{bytes}-{hex}"))
}

/// The road networks of a `milkrun worker`, imported from its extract on the first
/// optimization job (a worker that only plans nights never imports them).
#[derive(Debug)]
pub struct WorkerRoads {
    osm: std::path::PathBuf,
    loaded: Mutex<Option<Arc<RoadRegistry>>>,
}

impl WorkerRoads {
    /// Roads to import from `osm` when first needed.
    pub fn new(osm: std::path::PathBuf) -> WorkerRoads {
        WorkerRoads {
            osm,
            loaded: Mutex::new(None),
        }
    }

    /// The networks, imported now if not yet (blocking: call it on a blocking thread).
    pub fn get(&self) -> anyhow::Result<Arc<RoadRegistry>> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(roads) = loaded.as_ref() {
            return Ok(Arc::clone(roads));
        }
        let roads = Arc::new(RoadRegistry::load(&self.osm)?);
        *loaded = Some(Arc::clone(&roads));
        Ok(roads)
    }
}
