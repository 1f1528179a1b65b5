//! `Routes.PlanDay` messages and the dairy layer's engine types
//! ([`milkrun_dairy::engine`]), both ways: the server reads a request and writes an answer,
//! the remote engine ([`crate::serve::client::GrpcEngine`]) writes a request and reads an
//! answer. One module, so the two directions cannot drift apart.
use milkrun_dairy::engine::{
    PlanAnswer, PlanCourier, PlanLimits, PlanRequest, PlanStop, PlannedRoute, PlannedVisit,
    Previous, Stability,
};
use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
use milkrun_dairy::ids::{CourierId, HouseholdId};
use milkrun_dairy::DairyError;
use milkrun_engine::Profile;

use super::geo;
use crate::serve::config::Quotas;
use crate::serve::error::{ServiceError, Violations};
use crate::serve::proto::v1 as pb;

/// A domain refusal as INVALID_ARGUMENT naming its field.
pub fn invalid(e: DairyError) -> ServiceError {
    match e {
        DairyError::Invalid { field, reason } => ServiceError::invalid(field, reason),
        other => ServiceError::invalid("request", other.to_string()),
    }
}

/// A checked request: the plan request, its network (unset: bike) and its priority. The
/// stop and courier counts are held to the tenant's quotas, the time limit to its largest.
pub fn request(
    req: &pb::PlanDayRequest,
    quotas: &Quotas,
) -> Result<(PlanRequest, Profile), ServiceError> {
    if req.stops.len() > quotas.max_stops as usize {
        return Err(ServiceError::OverQuota {
            subject: "max_stops",
            description: format!("{} stops, at most {}", req.stops.len(), quotas.max_stops),
        });
    }
    if req.couriers.len() > quotas.max_vehicles as usize {
        return Err(ServiceError::OverQuota {
            subject: "max_vehicles",
            description: format!(
                "{} couriers, at most {}",
                req.couriers.len(),
                quotas.max_vehicles
            ),
        });
    }
    let max_ms = (quotas.max_time_limit_s * 1000.0) as u64;
    if req.time_limit_ms > max_ms {
        return Err(ServiceError::invalid(
            "time_limit_ms",
            format!("at most the tenant's largest, {max_ms} ms"),
        ));
    }
    let mut v = Violations::default();
    let profile = if req.travel_mode == 0 {
        Profile::Bike
    } else {
        geo::profile(req.travel_mode, "travel_mode", &mut v)
    };
    let max_snap_m = geo::snap_limit(req.max_snap_m, "max_snap_m", &mut v);
    let depot = geo::point(req.depot.as_ref(), "depot", &mut v);
    let mut stops = Vec::with_capacity(req.stops.len());
    for (i, s) in req.stops.iter().enumerate() {
        if v.is_full() {
            break;
        }
        let point = geo::point(s.location.as_ref(), &format!("stops[{i}].location"), &mut v);
        let window = DeliveryWindow::new(s.window_start_s, s.window_end_s)
            .map_err(|e| v.add(format!("stops[{i}].window"), e.to_string()))
            .ok();
        if let (Some(p), Some(window)) = (point, window) {
            stops.push(PlanStop {
                household: HouseholdId(s.household_id),
                point: GeoPoint {
                    lat: p.lat,
                    lon: p.lon,
                },
                window,
                quantity: s.quantity,
                service_s: s.service_s,
                previous: s.previous.as_ref().map(|p| Previous {
                    courier: CourierId(p.courier_id),
                    arrival_s: p.arrival_s,
                }),
            });
        }
    }
    v.into_result()?;
    let depot = depot.ok_or_else(|| ServiceError::invalid("depot", "required"))?;
    let out = PlanRequest {
        depot: GeoPoint {
            lat: depot.lat,
            lon: depot.lon,
        },
        stops,
        couriers: req
            .couriers
            .iter()
            .map(|c| PlanCourier {
                id: CourierId(c.courier_id),
                capacity: c.capacity,
                shift_start_s: c.shift_start_s,
                shift_end_s: c.shift_end_s,
            })
            .collect(),
        max_snap_m,
        stability: req.stability.as_ref().map(|s| Stability {
            courier_change_s: s.courier_change_s,
            shift_tolerance_s: s.shift_tolerance_s,
            shift_cost_per_s: s.shift_cost_per_s,
            shift_cap_s: s.shift_cap_s,
        }),
        limits: PlanLimits {
            time_limit_ms: req.time_limit_ms,
            seed: req.seed,
            solver_iterations: req.solver_iterations,
            polish_iterations: req.polish_iterations,
        },
    };
    out.check().map_err(invalid)?;
    Ok((out, profile))
}

/// An answer as a message.
pub fn response(a: &PlanAnswer) -> pb::PlanDayResponse {
    pb::PlanDayResponse {
        routes: a
            .routes
            .iter()
            .map(|r| pb::PlanDayRoute {
                courier_id: r.courier.0,
                visits: r
                    .visits
                    .iter()
                    .map(|v| pb::PlanDayVisit {
                        stop_index: v.stop,
                        arrival_s: v.arrival_s,
                    })
                    .collect(),
                distance_m: r.dist_m,
                travel_s: r.travel_s,
            })
            .collect(),
        unserved: a.unserved.clone(),
    }
}

/// A request as a message (the remote engine's side), for the bike network.
pub fn to_message(r: &PlanRequest, priority: pb::Priority) -> pb::PlanDayRequest {
    let ll = |p: GeoPoint| pb::LatLng {
        latitude: p.lat,
        longitude: p.lon,
    };
    pb::PlanDayRequest {
        depot: Some(ll(r.depot)),
        stops: r
            .stops
            .iter()
            .map(|s| pb::PlanDayStop {
                household_id: s.household.0,
                location: Some(ll(s.point)),
                window_start_s: s.window.start_s,
                window_end_s: s.window.end_s,
                quantity: s.quantity,
                service_s: s.service_s,
                previous: s.previous.map(|p| pb::PlanPreviousVisit {
                    courier_id: p.courier.0,
                    arrival_s: p.arrival_s,
                }),
            })
            .collect(),
        couriers: r
            .couriers
            .iter()
            .map(|c| pb::PlanDayCourier {
                courier_id: c.id.0,
                capacity: c.capacity,
                shift_start_s: c.shift_start_s,
                shift_end_s: c.shift_end_s,
            })
            .collect(),
        travel_mode: pb::TravelMode::Bike as i32,
        max_snap_m: r.max_snap_m,
        stability: r.stability.map(|s| pb::PlanStability {
            courier_change_s: s.courier_change_s,
            shift_tolerance_s: s.shift_tolerance_s,
            shift_cost_per_s: s.shift_cost_per_s,
            shift_cap_s: s.shift_cap_s,
        }),
        time_limit_ms: r.limits.time_limit_ms,
        seed: r.limits.seed,
        solver_iterations: r.limits.solver_iterations,
        polish_iterations: r.limits.polish_iterations,
        priority: priority as i32,
    }
}

/// A message as an answer (the remote engine's side); the caller checks it against its
/// request ([`PlanAnswer::check`]).
pub fn from_message(m: pb::PlanDayResponse) -> PlanAnswer {
    PlanAnswer {
        routes: m
            .routes
            .into_iter()
            .map(|r| PlannedRoute {
                courier: CourierId(r.courier_id),
                visits: r
                    .visits
                    .into_iter()
                    .map(|v| PlannedVisit {
                        stop: v.stop_index,
                        arrival_s: v.arrival_s,
                    })
                    .collect(),
                dist_m: r.distance_m,
                travel_s: r.travel_s,
            })
            .collect(),
        unserved: m.unserved,
    }
}
