//! The dairy layer's engine over the service's gRPC API: [`GrpcEngine`] implements
//! [`milkrun_dairy::engine::Engine`] with the generated Roads, Routes, Dispatch and Forecast
//! clients, so the order and subscription layer can run as its own process against a remote
//! `milkrun serve`. A call the server throttles (the tenant's request rate) is sent again
//! after the wait it asks for.
//! Snap and matrix go to `Roads.Snap` and `Roads.Matrix`, the plan to `Routes.PlanDay`, which
//! runs the same code as the in-process engine (`milkrun_station::night`), and the live day to
//! the Dispatch service (`OpenDay`, `ApplyEvents`, `GetDay`, `CloseDay`), which runs the same
//! live day as the in-process engine (`milkrun_station::live`); a demand forecast goes to
//! `Forecast.ForecastDemand` (the same model choice as `milkrun_station::forecast`).
use std::future::Future;
use std::time::Duration;

use milkrun_dairy::engine::{
    forecast, live_day, AppliedEvents, DayEvent, DayId, DayView, Engine, ForecastDay,
    ForecastRequest, OpenDay, PlanAnswer, PlanRequest, TravelMatrix, MAX_MATRIX_POINTS,
};
use milkrun_dairy::household::GeoPoint;
use tonic::transport::Channel;
use tonic::Request;
use tonic_types::StatusExt;

use super::convert::dairy_day as live;
use super::convert::plan_day as day;
use super::proto::v1 as pb;
use pb::dispatch_client::DispatchClient;
use pb::forecast_client::ForecastClient;
use pb::roads_client::RoadsClient;
use pb::routes_client::RoutesClient;

/// Largest answer accepted from the server (a matrix of 5,000 × 5,000 cells fits).
const MAX_MESSAGE_BYTES: usize = 512 << 20;

/// Why a remote engine call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The server answered with an error status.
    #[error("server: {0}")]
    Status(#[from] tonic::Status),
    /// The request or the server's answer broke a rule.
    #[error("{0}")]
    Invalid(#[from] milkrun_dairy::DairyError),
    /// The server's answer does not fit its request.
    #[error("answer: {0}")]
    Answer(String),
}

/// The engine on a remote server, calling as the tenant of `api_key`.
#[derive(Debug, Clone)]
pub struct GrpcEngine {
    roads: RoadsClient<Channel>,
    routes: RoutesClient<Channel>,
    dispatch: DispatchClient<Channel>,
    forecast: ForecastClient<Channel>,
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

impl GrpcEngine {
    /// An engine over a connected channel; `api_key` (or a JWT) is sent as a bearer token.
    pub fn new(channel: Channel, api_key: &str) -> Result<GrpcEngine, RemoteError> {
        let authorization = format!("Bearer {api_key}").parse().map_err(|_| {
            milkrun_dairy::DairyError::Invalid {
                field: "api_key",
                reason: "must be printable ASCII".into(),
            }
        })?;
        Ok(GrpcEngine {
            roads: RoadsClient::new(channel.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            routes: RoutesClient::new(channel.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            dispatch: DispatchClient::new(channel.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
            forecast: ForecastClient::new(channel).max_decoding_message_size(MAX_MESSAGE_BYTES),
            authorization,
        })
    }

    fn call<T>(&self, msg: T) -> Call<T> {
        Call {
            authorization: self.authorization.clone(),
            msg,
        }
    }
}

/// Most times one call is sent while the server asks to slow down.
const MAX_ATTEMPTS: u32 = 30;
/// The longest wait the server may ask for before a call is retried; a longer one is the
/// caller's to handle (the error is returned).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

/// One call's message and credential: sent again, after the wait the server asks for, while
/// it answers RESOURCE_EXHAUSTED with a `RetryInfo` and no `QuotaFailure` (the tenant's
/// request rate; nothing was done) or UNAVAILABLE with a `RetryInfo` (a live day another
/// replica runs, or one being taken over; nothing was done), at most [`MAX_ATTEMPTS`] times. Every call of the engine
/// may be sent again: a throttled call changed nothing, and live-day events carry their ids.
struct Call<T> {
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    msg: T,
}

impl<T: Clone> Call<T> {
    async fn send<A, F, Fut>(self, mut send: F) -> Result<tonic::Response<A>, tonic::Status>
    where
        F: FnMut(Request<T>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<A>, tonic::Status>>,
    {
        let mut attempt = 1;
        loop {
            let mut r = Request::new(self.msg.clone());
            r.metadata_mut()
                .insert("authorization", self.authorization.clone());
            let status = match send(r).await {
                Ok(answer) => return Ok(answer),
                Err(status) => status,
            };
            let wait = ((status.code() == tonic::Code::ResourceExhausted
                && status.get_details_quota_failure().is_none())
                || status.code() == tonic::Code::Unavailable)
                .then(|| status.get_details_retry_info())
                .flatten()
                .and_then(|info| info.retry_delay)
                .filter(|w| *w <= MAX_RETRY_WAIT);
            match wait {
                Some(w) if attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(w.max(Duration::from_millis(10))).await;
                }
                _ => return Err(status),
            }
        }
    }
}

fn lat_lng(p: &GeoPoint) -> pb::LatLng {
    pb::LatLng {
        latitude: p.lat,
        longitude: p.lon,
    }
}

fn too_many(points: &[GeoPoint]) -> Result<(), RemoteError> {
    if points.len() > MAX_MATRIX_POINTS {
        return Err(milkrun_dairy::DairyError::Invalid {
            field: "points",
            reason: format!("more than {MAX_MATRIX_POINTS}"),
        }
        .into());
    }
    Ok(())
}

impl Engine for GrpcEngine {
    type Error = RemoteError;

    fn snap(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> impl Future<Output = Result<Vec<f64>, RemoteError>> + Send {
        let roads = self.roads.clone();
        let n = points.len();
        let msg = pb::SnapRequest {
            points: points.iter().map(lat_lng).collect(),
            travel_mode: pb::TravelMode::Bike as i32,
            max_snap_m,
        };
        let req = self.call(msg);
        let checked = too_many(points);
        async move {
            checked?;
            let r = req
                .send(|r| {
                    let mut c = roads.clone();
                    async move { c.snap(r).await }
                })
                .await?
                .into_inner();
            if r.points.len() != n {
                return Err(RemoteError::Answer(format!(
                    "{} snapped points for {n}",
                    r.points.len()
                )));
            }
            Ok(r.points.iter().map(|p| p.snap_distance_m).collect())
        }
    }

    fn matrix(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> impl Future<Output = Result<TravelMatrix, RemoteError>> + Send {
        let roads = self.roads.clone();
        let n = points.len();
        let list: Vec<pb::LatLng> = points.iter().map(lat_lng).collect();
        let req = self.call(pb::MatrixRequest {
            origins: list.clone(),
            destinations: list,
            travel_mode: pb::TravelMode::Bike as i32,
            max_snap_m,
            priority: pb::Priority::Batch as i32,
            // The plan needs every household: one far from the roads is an error here.
            strict: true,
            // Door to door at the profile's access speed, as the station's in-process plan
            // and live day count (milkrun_station::road::RoadLocations).
            road_only: false,
            access_speed_mps: 0.0,
        });
        let checked = too_many(points);
        async move {
            checked?;
            let m = req
                .send(|r| {
                    let mut c = roads.clone();
                    async move { c.matrix(r).await }
                })
                .await?
                .into_inner();
            if m.rows as usize != n
                || m.columns as usize != n
                || m.duration_ms.len() != n * n
                || m.distance_m.len() != n * n
            {
                return Err(RemoteError::Answer(format!(
                    "a {}x{} matrix for {n} points",
                    m.rows, m.columns
                )));
            }
            Ok(TravelMatrix {
                size: n,
                travel_s: m
                    .duration_ms
                    .iter()
                    .map(|&ms| if ms < 0 { -1 } else { (ms + 500) / 1000 })
                    .collect(),
                dist_m: m.distance_m,
            })
        }
    }

    fn plan(
        &self,
        req: &PlanRequest,
    ) -> impl Future<Output = Result<PlanAnswer, RemoteError>> + Send {
        let routes = self.routes.clone();
        let checked = req.check();
        let msg = self.call(day::to_message(req, pb::Priority::Batch));
        let req = req.clone();
        async move {
            checked?;
            let answer = day::from_message(
                msg.send(|r| {
                    let mut c = routes.clone();
                    async move { c.plan_day(r).await }
                })
                .await?
                .into_inner(),
            );
            answer.check(&req)?;
            Ok(answer)
        }
    }

    fn open_day(
        &self,
        day: &OpenDay,
    ) -> impl Future<Output = Result<(DayId, DayView), RemoteError>> + Send {
        let dispatch = self.dispatch.clone();
        let checked = day.check();
        let msg = self.call(live::open_request(day));
        let day = day.clone();
        async move {
            checked?;
            let d = msg
                .send(|r| {
                    let mut c = dispatch.clone();
                    async move { c.open_day(r).await }
                })
                .await?
                .into_inner();
            let id = DayId::new(d.day_id.clone())?;
            Ok((id, live::view(&d, &day)?))
        }
    }

    fn apply_events(
        &self,
        id: &DayId,
        day: &OpenDay,
        events: &[DayEvent],
    ) -> impl Future<Output = Result<AppliedEvents, RemoteError>> + Send {
        let dispatch = self.dispatch.clone();
        let checked = live_day::check_events(day, events);
        let msg = self.call(pb::ApplyEventsRequest {
            day_id: id.as_str().to_string(),
            events: events.iter().map(live::event).collect(),
        });
        // The answer may name the stops the events add.
        let mut day = day.clone();
        day.add_new_stops(events);
        let sent = events.len();
        async move {
            checked?;
            let r = msg
                .send(|r| {
                    let mut c = dispatch.clone();
                    async move { c.apply_events(r).await }
                })
                .await?
                .into_inner();
            Ok(live::applied(&r, &day, sent)?)
        }
    }

    fn get_day(
        &self,
        id: &DayId,
        day: &OpenDay,
    ) -> impl Future<Output = Result<DayView, RemoteError>> + Send {
        let dispatch = self.dispatch.clone();
        let msg = self.call(pb::GetDayRequest {
            day_id: id.as_str().to_string(),
        });
        let day = day.clone();
        async move {
            let d = msg
                .send(|r| {
                    let mut c = dispatch.clone();
                    async move { c.get_day(r).await }
                })
                .await?
                .into_inner();
            Ok(live::view(&d, &day)?)
        }
    }

    fn close_day(
        &self,
        id: &DayId,
        day: &OpenDay,
    ) -> impl Future<Output = Result<DayView, RemoteError>> + Send {
        let dispatch = self.dispatch.clone();
        let msg = self.call(pb::CloseDayRequest {
            day_id: id.as_str().to_string(),
        });
        let day = day.clone();
        async move {
            let d = msg
                .send(|r| {
                    let mut c = dispatch.clone();
                    async move { c.close_day(r).await }
                })
                .await?
                .into_inner();
            Ok(live::view(&d, &day)?)
        }
    }

    fn forecast_demand(
        &self,
        req: &ForecastRequest,
    ) -> impl Future<Output = Result<Vec<ForecastDay>, RemoteError>> + Send {
        let client = self.forecast.clone();
        let checked = req.check();
        let msg = self.call(pb::ForecastDemandRequest {
            series: vec![pb::DemandSeries {
                id: "history".into(),
                start_date: req.start.to_string(),
                values: req.history.clone(),
            }],
            frequency: pb::Frequency::Daily as i32,
            horizon: i32::try_from(req.horizon).unwrap_or(i32::MAX),
            quantile_levels: req.levels.clone(),
            model: String::new(),
            season_length: 0,
            time_limit_s: 0.0,
            seed: req.seed,
            max_history: u32::try_from(req.max_history).unwrap_or(u32::MAX),
        });
        let req = req.clone();
        async move {
            checked?;
            let r = msg
                .send(|r| {
                    let mut c = client.clone();
                    async move { c.forecast_demand(r).await }
                })
                .await?
                .into_inner();
            if r.quantile_levels != req.levels || r.forecasts.len() != 1 {
                return Err(RemoteError::Answer(
                    "not one forecast at the levels asked".into(),
                ));
            }
            let days: Vec<ForecastDay> = r
                .forecasts
                .into_iter()
                .flat_map(|f| f.steps)
                .map(|s| ForecastDay {
                    mean: s.mean,
                    quantiles: s.quantiles,
                })
                .collect();
            forecast::check_forecast(&req, &days)?;
            Ok(days)
        }
    }
}
