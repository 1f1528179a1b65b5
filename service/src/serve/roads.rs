//! The Roads service: snap, matrix, route and the tenant's traffic. Each handler converts the
//! message, calls the road engine on the tenant's overlay, and converts the result back; the
//! gRPC face and the JSON face call the same functions.
use std::sync::{Arc, PoisonError};

use milkrun_engine::{EngineError, LatLon, PointOptions, PointSnap, Snap, TrafficOverlay};
use tonic::{Request, Response, Status};

use super::call::{grpc_unary, CallCtx};
use super::convert::{geo, traffic};
use super::error::{ServiceError, Violations};
use super::proto::v1 as pb;
use super::quota::TenantQuota;
use super::road_registry::MAX_TRAFFIC_BATCHES;
use super::state::ServiceState;
use super::workers::Lane;
use crate::compat::polyline::{self, Precision};

/// Most points of one snap call.
pub const MAX_SNAP_POINTS: usize = 10_000;
/// Most waypoints of one route.
pub const MAX_WAYPOINTS: usize = 100;

/// The lane of a request's priority field.
pub fn lane(priority: i32) -> Lane {
    match pb::Priority::try_from(priority) {
        Ok(pb::Priority::Batch) => Lane::Batch,
        _ => Lane::Interactive,
    }
}

/// An engine error as the service's error; `list` names the point list the indices refer to.
fn engine_error(e: EngineError, list: &str) -> ServiceError {
    match e {
        EngineError::TooFarFromRoad { index, .. }
        | EngineError::CoordinateOutOfRange { index, .. } => {
            ServiceError::invalid(format!("{list}[{index}]"), e.to_string())
        }
        EngineError::BadTraffic(fault) => ServiceError::invalid(fault.path(), fault.reason),
        EngineError::BadUpdate {
            update,
            field,
            reason,
        } => ServiceError::invalid(format!("updates[{update}].{field}"), reason),
        EngineError::BadSnapLimit { .. } => ServiceError::invalid("max_snap_m", e.to_string()),
        EngineError::BadAccessSpeed { .. } => {
            ServiceError::invalid("access_speed_mps", e.to_string())
        }
        EngineError::AccessTooLong { index, .. } => {
            ServiceError::invalid(format!("{list}[{index}]"), e.to_string())
        }
        EngineError::MatrixTooLarge {
            rows,
            cols,
            max_cells,
        } => ServiceError::OverQuota {
            subject: "max_matrix_cells",
            description: format!("{rows} x {cols} exceeds the server's {max_cells} cells"),
        },
        other => ServiceError::Internal(other.to_string()),
    }
}

fn internal(e: anyhow::Error) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

fn snap_points(
    overlay: &TrafficOverlay,
    points: &[LatLon],
    max_snap_m: f64,
    list: &str,
) -> Result<Vec<Snap>, ServiceError> {
    overlay
        .snap_all(points, max_snap_m)
        .map_err(|e| engine_error(e, list))
}

/// Snaps points.
pub async fn snap(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::SnapRequest,
) -> Result<pb::SnapResponse, ServiceError> {
    if req.points.is_empty() || req.points.len() > MAX_SNAP_POINTS {
        return Err(ServiceError::invalid(
            "points",
            format!("{} points, need 1 to {MAX_SNAP_POINTS}", req.points.len()),
        ));
    }
    let mut v = Violations::default();
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    let max_snap_m = geo::snap_limit(req.max_snap_m, "max_snap_m", &mut v);
    let points = geo::points(&req.points, "points", &mut v);
    v.into_result()?;
    let points = points.unwrap_or_default();
    let overlay = state
        .roads
        .overlay(&ctx.identity.tenant, profile)
        .map_err(internal)?;
    state
        .pool
        .run(Lane::Interactive, move || {
            let snaps = snap_points(&overlay, &points, max_snap_m, "points")?;
            let g = overlay.graph();
            Ok(pb::SnapResponse {
                points: snaps
                    .iter()
                    .map(|s| pb::SnappedPoint {
                        location: Some(geo::lat_lng(g.coord(s.node))),
                        snap_distance_m: s.snap_m,
                        node_distance_m: s.node_m,
                    })
                    .collect(),
            })
        })
        .await?
}

/// A travel matrix.
pub async fn matrix(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::MatrixRequest,
) -> Result<pb::MatrixResponse, ServiceError> {
    let quota = state.quotas.tenant(&ctx.identity.tenant)?;
    let cells = (req.origins.len() as u64).saturating_mul(req.destinations.len() as u64);
    TenantQuota::check_size("max_matrix_cells", cells, quota.limits.max_matrix_cells)?;
    let mut v = Violations::default();
    if req.origins.is_empty() {
        v.add("origins", "at least one origin");
    }
    if req.destinations.is_empty() {
        v.add("destinations", "at least one destination");
    }
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    let max_snap_m = geo::snap_limit(req.max_snap_m, "max_snap_m", &mut v);
    let access = geo::access(
        req.road_only,
        req.access_speed_mps,
        profile,
        "access_speed_mps",
        &mut v,
    );
    let origins = geo::points(&req.origins, "origins", &mut v);
    let destinations = geo::points(&req.destinations, "destinations", &mut v);
    v.into_result()?;
    let (origins, destinations) = (
        origins.unwrap_or_default(),
        destinations.unwrap_or_default(),
    );
    let overlay = state
        .roads
        .overlay(&ctx.identity.tenant, profile)
        .map_err(internal)?;
    let _solve = quota.solve_permit()?;
    let opts = PointOptions {
        max_snap_m,
        access,
        strict: req.strict,
        departure_s: None,
    };
    state
        .pool
        .run(lane(req.priority), move || {
            // In strict mode a point far from the roads is an error naming it (and its list);
            // otherwise it is answered in its status. Coordinates were checked above.
            if opts.strict {
                snap_points(&overlay, &origins, max_snap_m, "origins")?;
                snap_points(&overlay, &destinations, max_snap_m, "destinations")?;
            }
            let p = overlay
                .matrix_with(&origins, &destinations, &opts)
                .map_err(|e| engine_error(e, "origins"))?;
            let status = |snaps: &[PointSnap]| {
                snaps
                    .iter()
                    .map(|s| pb::PointStatus {
                        on_road: s.snapped().is_some(),
                        snap_distance_m: s.snap_m(),
                        access_distance_m: s.snapped().map_or(0.0, |s| s.node_m),
                    })
                    .collect::<Vec<_>>()
            };
            let (origin_status, destination_status) = (status(&p.from), status(&p.to));
            let m = p.matrix;
            let (rows, cols) = (m.rows(), m.cols());
            let mut duration_ms = Vec::with_capacity(rows * cols);
            let mut distance_m = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                for j in 0..cols {
                    duration_ms.push(m.travel_ms(i, j).map_or(-1, i64::from));
                    distance_m.push(m.meters(i, j).map_or(-1, i64::from));
                }
            }
            Ok(pb::MatrixResponse {
                rows: rows as u32,
                columns: cols as u32,
                duration_ms,
                distance_m,
                origin_status,
                destination_status,
            })
        })
        .await?
}

/// The fastest route through waypoints.
pub async fn route(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::RouteRequest,
) -> Result<pb::RouteResponse, ServiceError> {
    if req.waypoints.len() < 2 || req.waypoints.len() > MAX_WAYPOINTS {
        return Err(ServiceError::invalid(
            "waypoints",
            format!(
                "{} waypoints, need 2 to {MAX_WAYPOINTS}",
                req.waypoints.len()
            ),
        ));
    }
    let mut v = Violations::default();
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    let max_snap_m = geo::snap_limit(req.max_snap_m, "max_snap_m", &mut v);
    let format = pb::GeometryFormat::try_from(req.geometry_format).unwrap_or_else(|_| {
        v.add(
            "geometry_format",
            format!("unknown format {}", req.geometry_format),
        );
        pb::GeometryFormat::Unspecified
    });
    let access = geo::access(
        req.road_only,
        req.access_speed_mps,
        profile,
        "access_speed_mps",
        &mut v,
    );
    let points = geo::points(&req.waypoints, "waypoints", &mut v);
    v.into_result()?;
    let points = points.unwrap_or_default();
    let overlay = state
        .roads
        .overlay(&ctx.identity.tenant, profile)
        .map_err(internal)?;
    state
        .pool
        .run(Lane::Interactive, move || {
            // Every waypoint is checked before any leg is routed.
            snap_points(&overlay, &points, max_snap_m, "waypoints")?;
            let opts = PointOptions {
                max_snap_m,
                access,
                strict: true,
                departure_s: None,
            };
            let g = overlay.graph();
            let mut out = pb::RouteResponse::default();
            let mut line: Vec<LatLon> = Vec::new();
            for (k, leg) in points.windows(2).enumerate() {
                let r = overlay
                    .route_with(leg[0], leg[1], &opts)
                    .map_err(|e| engine_error(e, "waypoints"))?
                    .ok_or_else(|| {
                        ServiceError::NotFound(format!(
                            "no road from waypoint {k} to waypoint {}",
                            k + 1
                        ))
                    })?;
                let distance_m = i64::from(r.dist_dm.div_ceil(10));
                out.legs.push(pb::RouteLeg {
                    duration_ms: i64::from(r.travel_ms),
                    distance_m,
                });
                out.duration_ms = out.duration_ms.saturating_add(i64::from(r.travel_ms));
                out.distance_m = out.distance_m.saturating_add(distance_m);
                for w in r.nodes.windows(2) {
                    if let Some(e) = g.find_edge(w[0], w[1]) {
                        // One id per passage along a way, not one per edge.
                        let way = g.way_id(e);
                        if out.way_ids.last() != Some(&way) {
                            out.way_ids.push(way);
                        }
                    }
                }
                // Consecutive legs share their joining point.
                let skip = usize::from(!line.is_empty());
                line.extend(r.polyline.into_iter().skip(skip));
            }
            out.geometry = Some(match format {
                pb::GeometryFormat::EncodedPolyline => {
                    pb::route_response::Geometry::EncodedPolyline(polyline::encode(
                        &line,
                        Precision::Five,
                    ))
                }
                _ => pb::route_response::Geometry::Points(pb::Polyline {
                    points: line.into_iter().map(geo::lat_lng).collect(),
                }),
            });
            Ok(out)
        })
        .await?
}

fn traffic_role(ctx: &CallCtx) -> Result<(), ServiceError> {
    if ctx.identity.role.may_change_traffic() {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied(
            "changing traffic needs the admin or dispatcher role",
        ))
    }
}

/// Applies a batch of traffic updates to the tenant's overlay.
pub async fn apply_traffic(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ApplyTrafficRequest,
) -> Result<pb::ApplyTrafficResponse, ServiceError> {
    traffic_role(&ctx)?;
    let mut v = Violations::default();
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    let updates = traffic::updates(&req.updates, &mut v);
    v.into_result()?;
    let tenant_traffic = state
        .roads
        .traffic(&ctx.identity.tenant, profile)
        .map_err(internal)?;
    state
        .pool
        .run(Lane::Interactive, move || {
            let mut t = tenant_traffic
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if t.applied.len() >= MAX_TRAFFIC_BATCHES {
                return Err(ServiceError::OverQuota {
                    subject: "traffic batches",
                    description: format!("{MAX_TRAFFIC_BATCHES} batches kept; clear first"),
                });
            }
            let report = t
                .overlay
                .apply_traffic(&updates)
                .map_err(|e| engine_error(e, "updates"))?;
            let id = t.next_id;
            t.next_id = t.next_id.saturating_add(1);
            t.applied.push((id, req.updates));
            Ok(pb::ApplyTrafficResponse {
                traffic_id: id,
                edges_touched: report.edges_touched as u64,
                edges_changed: report.edges_changed as u64,
                version: report.version,
            })
        })
        .await?
}

/// Lists the tenant's traffic batches on one network.
pub async fn list_traffic(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ListTrafficRequest,
) -> Result<pb::ListTrafficResponse, ServiceError> {
    let mut v = Violations::default();
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    v.into_result()?;
    let tenant_traffic = state
        .roads
        .traffic(&ctx.identity.tenant, profile)
        .map_err(internal)?;
    let t = tenant_traffic
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Ok(pb::ListTrafficResponse {
        applied: t
            .applied
            .iter()
            .map(|(id, updates)| pb::AppliedTraffic {
                traffic_id: *id,
                updates: updates.clone(),
            })
            .collect(),
    })
}

/// Removes the tenant's traffic on one network (a fresh overlay replaces the old one).
pub async fn clear_traffic(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ClearTrafficRequest,
) -> Result<pb::ClearTrafficResponse, ServiceError> {
    traffic_role(&ctx)?;
    let mut v = Violations::default();
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    v.into_result()?;
    let tenant_traffic = state
        .roads
        .traffic(&ctx.identity.tenant, profile)
        .map_err(internal)?;
    let fresh = state.roads.fresh_overlay(profile).map_err(internal)?;
    let mut t = tenant_traffic
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let removed = t.applied.len() as u64;
    t.overlay = fresh;
    t.applied.clear();
    Ok(pb::ClearTrafficResponse { removed })
}

/// The gRPC face of the Roads service.
#[derive(Debug, Clone)]
pub struct RoadsGrpc {
    /// The shared state.
    pub state: Arc<ServiceState>,
}

#[tonic::async_trait]
impl pb::roads_server::Roads for RoadsGrpc {
    async fn snap(
        &self,
        r: Request<pb::SnapRequest>,
    ) -> Result<Response<pb::SnapResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Roads/Snap", r, |ctx, m| {
            snap(state, ctx, m)
        })
        .await
    }

    async fn matrix(
        &self,
        r: Request<pb::MatrixRequest>,
    ) -> Result<Response<pb::MatrixResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Roads/Matrix", r, |ctx, m| {
            matrix(state, ctx, m)
        })
        .await
    }

    async fn route(
        &self,
        r: Request<pb::RouteRequest>,
    ) -> Result<Response<pb::RouteResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Roads/Route", r, |ctx, m| {
            route(state, ctx, m)
        })
        .await
    }

    async fn apply_traffic(
        &self,
        r: Request<pb::ApplyTrafficRequest>,
    ) -> Result<Response<pb::ApplyTrafficResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Roads/ApplyTraffic", r, |ctx, m| {
            apply_traffic(state, ctx, m)
        })
        .await
    }

    async fn list_traffic(
        &self,
        r: Request<pb::ListTrafficRequest>,
    ) -> Result<Response<pb::ListTrafficResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Roads/ListTraffic", r, |ctx, m| {
            list_traffic(state, ctx, m)
        })
        .await
    }

    async fn clear_traffic(
        &self,
        r: Request<pb::ClearTrafficRequest>,
    ) -> Result<Response<pb::ClearTrafficResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Roads/ClearTraffic", r, |ctx, m| {
            clear_traffic(state, ctx, m)
        })
        .await
    }
}
