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
}

impl RoadRegistry {
    /// Imports an OSM extract once per profile (in parallel) and prepares each network.
    pub fn load(osm: &Path) -> anyhow::Result<RoadRegistry> {
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
