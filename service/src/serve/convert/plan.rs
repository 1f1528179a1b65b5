//! The solver's solution to an `OptimizeResponse` message.
use std::collections::HashMap;

use milkrun_engine::Snap;
use milkrun_vrp::{Progress, Solution, UnassignedReason};

use super::model::{JobRef, LocationOwner};
use crate::serve::proto::v1 as pb;

/// What the plan's labels and load types come from.
#[derive(Debug, Clone, Copy)]
pub struct PlanLabels<'a> {
    /// The request's model.
    pub model: &'a pb::ShipmentModel,
    /// The solver's jobs.
    pub job_refs: &'a [JobRef],
    /// The load types (capacity dimensions), sorted.
    pub load_types: &'a [String],
    /// How each shipment's locations met the roads ([`snaps`]).
    pub shipment_snaps: &'a [pb::ShipmentSnap],
    /// How each vehicle's start and end met the roads ([`snaps`]).
    pub vehicle_snaps: &'a [pb::VehicleSnap],
}

/// How each shipment's and each vehicle's locations met the roads, in the model's order:
/// `owners[k]` says what location `k` (snapped at `snaps[k]`) is.
pub fn snaps(
    owners: &[LocationOwner],
    snaps: &[Snap],
    shipments: usize,
    vehicles: usize,
) -> (Vec<pb::ShipmentSnap>, Vec<pb::VehicleSnap>) {
    let mut by_shipment = vec![pb::ShipmentSnap::default(); shipments];
    let mut by_vehicle = vec![pb::VehicleSnap::default(); vehicles];
    for (owner, s) in owners.iter().zip(snaps) {
        let status = Some(pb::PointStatus {
            on_road: true,
            snap_distance_m: s.snap_m,
            access_distance_m: s.node_m,
        });
        let slot = match *owner {
            LocationOwner::VehicleStart(k) => by_vehicle.get_mut(k).map(|v| &mut v.start),
            LocationOwner::VehicleEnd(k) => by_vehicle.get_mut(k).map(|v| &mut v.end),
            LocationOwner::Pickup(i) => by_shipment.get_mut(i).map(|v| &mut v.pickup),
            LocationOwner::Delivery(i) => by_shipment.get_mut(i).map(|v| &mut v.delivery),
        };
        if let Some(slot) = slot {
            *slot = status;
        }
    }
    (by_shipment, by_vehicle)
}

fn reason(r: UnassignedReason) -> pb::SkipReason {
    match r {
        UnassignedReason::MissingSkill => pb::SkipReason::MissingSkill,
        UnassignedReason::OverCapacity => pb::SkipReason::OverCapacity,
        UnassignedReason::NoFeasibleWindow => pb::SkipReason::NoFeasibleWindow,
        UnassignedReason::OverMaxDuration => pb::SkipReason::OverMaxDuration,
        UnassignedReason::OverMaxDistance => pb::SkipReason::OverMaxDistance,
        UnassignedReason::FleetExhausted => pb::SkipReason::FleetExhausted,
        UnassignedReason::NotWorthServing => pb::SkipReason::NotWorthServing,
        UnassignedReason::StoppedEarly => pb::SkipReason::StoppedEarly,
        _ => pb::SkipReason::Unspecified,
    }
}

fn load_map(load: &[i64], types: &[String]) -> HashMap<String, i64> {
    types.iter().cloned().zip(load.iter().copied()).collect()
}

/// The plan message of a solution.
pub fn plan(
    solution: &Solution,
    labels: PlanLabels<'_>,
    time_limit_s: f64,
) -> pb::OptimizeResponse {
    let shipment_label = |k: usize| {
        labels
            .model
            .shipments
            .get(k)
            .map(|s| s.label.clone())
            .unwrap_or_default()
    };
    let routes = solution
        .routes
        .iter()
        .map(|r| pb::ShipmentRoute {
            vehicle_index: r.vehicle_type as u32,
            vehicle_label: labels
                .model
                .vehicles
                .get(r.vehicle_type)
                .map(|v| v.label.clone())
                .unwrap_or_default(),
            start_s: r.start_time,
            end_s: r.end_time,
            visits: r
                .stops
                .iter()
                .filter_map(|s| {
                    let jr = labels.job_refs.get(s.job)?;
                    Some(pb::Visit {
                        shipment_index: jr.shipment as u32,
                        shipment_label: shipment_label(jr.shipment),
                        is_pickup: jr.is_pickup,
                        arrival_s: s.arrival,
                        wait_s: s.wait,
                        start_s: s.start,
                        departure_s: s.departure,
                        late_s: s.lateness,
                        load_after: load_map(&s.load_after, labels.load_types),
                    })
                })
                .collect(),
            reloads: r
                .reloads
                .iter()
                .map(|rl| pb::ReloadStop {
                    before_visit: rl.before as u32,
                    arrival_s: rl.arrival,
                    departure_s: rl.departure,
                })
                .collect(),
            distance_m: r.distance,
            duration_s: r.duration,
            cost: r.cost,
        })
        .collect();
    // A pickup-delivery shipment has two jobs: report it once.
    let mut skipped: Vec<pb::SkippedShipment> = Vec::new();
    for u in &solution.unassigned {
        let Some(jr) = labels.job_refs.get(u.job) else {
            continue;
        };
        if skipped.iter().any(|s| s.index as usize == jr.shipment) {
            continue;
        }
        skipped.push(pb::SkippedShipment {
            index: jr.shipment as u32,
            label: shipment_label(jr.shipment),
            reason: reason(u.reason).into(),
        });
    }
    let metrics = pb::PlanMetrics {
        total_cost: solution.cost,
        distance_m: solution.distance,
        duration_s: solution.duration,
        vehicles_used: solution.vehicles() as u32,
        skipped: skipped.len() as u32,
    };
    pb::OptimizeResponse {
        routes,
        skipped_shipments: skipped,
        metrics: Some(metrics),
        validated_only: false,
        time_limit_s,
        shipment_snaps: labels.shipment_snaps.to_vec(),
        vehicle_snaps: labels.vehicle_snaps.to_vec(),
    }
}

/// The progress message of a solver progress report.
pub fn progress(p: &Progress) -> pb::SolveProgress {
    pb::SolveProgress {
        elapsed_s: p.elapsed.as_secs_f64(),
        iterations: p.iterations,
        best_cost: p.best_cost,
        vehicles_used: p.vehicles as u32,
        skipped: p.unassigned as u32,
    }
}
