//! Event files and a seeded event stream.
//!
//! ## Event file format (UTF-8 text, one event per line, in time order)
//! Blank lines and `#` lines are ignored; fields are comma-separated; times `HH:MM[:SS]`.
//! ```text
//! TIME,traffic,FACTOR,WAY;WAY;...      speed factor on OSM ways (0 = closed, 1 = free flow)
//! TIME,order,HOUSEHOLD,LAT,LON,BOTTLES,SERVICE_S,WINDOW_START,WINDOW_END
//! TIME,cancel,HOUSEHOLD
//! TIME,failed,HOUSEHOLD,RETRY_START,RETRY_END     or     TIME,failed,HOUSEHOLD,tomorrow
//! TIME,breakdown,COURIER_ID
//! TIME,delay,COURIER_ID,SECONDS
//! TIME,delivered,HOUSEHOLD                      a courier reports a delivery made at TIME
//! TIME,position,COURIER_ID,LOCATION             a courier reports where it is (matrix index)
//! TIME,signedoff,COURIER_ID                     a courier ends its service
//! ```

use std::fmt::Write as _;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::clock::{hms, parse_time};
use crate::dispatch::Dispatch;
use crate::error::{FieldError, ReplanError};
use crate::model::StopState;

/// One event as written in a file (external ids, coordinates, way ids).
#[derive(Debug, Clone, PartialEq)]
pub enum EventRecord {
    /// A speed factor on ways (0: closed, 1: back to free flow).
    Traffic {
        /// Factor.
        factor: f64,
        /// OSM way ids.
        ways: Vec<i64>,
    },
    /// A new order.
    Order {
        /// Household id (new).
        household: u32,
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
        /// Bottles.
        bottles: i64,
        /// Service time, seconds.
        service_s: i64,
        /// Window, seconds since midnight.
        window_s: (i64, i64),
    },
    /// A cancellation.
    Cancel {
        /// Household id.
        household: u32,
    },
    /// A failed delivery, retried in a window or carried over (`None`).
    Failed {
        /// Household id.
        household: u32,
        /// Retry window.
        retry_s: Option<(i64, i64)>,
    },
    /// A breakdown.
    Breakdown {
        /// Courier id.
        courier: u32,
    },
    /// A courier delay.
    Delay {
        /// Courier id.
        courier: u32,
        /// Seconds lost.
        delay_s: i64,
    },
    /// A delivery reported by its courier.
    Delivered {
        /// Household id.
        household: u32,
    },
    /// A courier's position (a location index of the day's matrix).
    Position {
        /// Courier id.
        courier: u32,
        /// Location index.
        loc: u32,
    },
    /// A courier ends its service.
    SignedOff {
        /// Courier id.
        courier: u32,
    },
}

impl EventRecord {
    /// The kind as written in the file (`traffic`, `order`, ..., `signedoff`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Traffic { .. } => "traffic",
            Self::Order { .. } => "order",
            Self::Cancel { .. } => "cancel",
            Self::Failed { .. } => "failed",
            Self::Breakdown { .. } => "breakdown",
            Self::Delay { .. } => "delay",
            Self::Delivered { .. } => "delivered",
            Self::Position { .. } => "position",
            Self::SignedOff { .. } => "signedoff",
        }
    }
}

/// An event record with its time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedRecord {
    /// Seconds since midnight.
    pub time_s: i64,
    /// The event.
    pub record: EventRecord,
}

/// Writes events in the file format.
pub fn write_events(events: &[TimedRecord]) -> String {
    let mut out =
        String::from("# milkrun events v1: time,kind,fields (see milkrun_dispatch::io)\n");
    for e in events {
        let t = hms(e.time_s);
        let _ = match &e.record {
            EventRecord::Traffic { factor, ways } => {
                let w: Vec<String> = ways.iter().map(i64::to_string).collect();
                writeln!(out, "{t},traffic,{factor},{}", w.join(";"))
            }
            EventRecord::Order {
                household,
                lat,
                lon,
                bottles,
                service_s,
                window_s,
            } => writeln!(
                out,
                "{t},order,{household},{lat:.7},{lon:.7},{bottles},{service_s},{},{}",
                hms(window_s.0),
                hms(window_s.1)
            ),
            EventRecord::Cancel { household } => writeln!(out, "{t},cancel,{household}"),
            EventRecord::Failed {
                household,
                retry_s: Some(w),
            } => {
                writeln!(out, "{t},failed,{household},{},{}", hms(w.0), hms(w.1))
            }
            EventRecord::Failed {
                household,
                retry_s: None,
            } => writeln!(out, "{t},failed,{household},tomorrow"),
            EventRecord::Breakdown { courier } => writeln!(out, "{t},breakdown,{courier}"),
            EventRecord::Delay { courier, delay_s } => {
                writeln!(out, "{t},delay,{courier},{delay_s}")
            }
            EventRecord::Delivered { household } => writeln!(out, "{t},delivered,{household}"),
            EventRecord::Position { courier, loc } => {
                writeln!(out, "{t},position,{courier},{loc}")
            }
            EventRecord::SignedOff { courier } => writeln!(out, "{t},signedoff,{courier}"),
        };
    }
    out
}

/// Parses an event file; errors name the line and field.
pub fn parse_events(text: &str, file: &str) -> Result<Vec<TimedRecord>, ReplanError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = t.split(',').map(str::trim).collect();
        let err = |field: &'static str, problem: FieldError| ReplanError::EventFile {
            file: file.to_string(),
            line,
            field,
            problem,
        };
        let invalid =
            |field: &'static str, rule: &'static str| err(field, FieldError::Invalid { rule });
        let need = |n: usize| {
            if f.len() == n {
                Ok(())
            } else {
                Err(err(
                    "fields",
                    FieldError::FieldCount {
                        expected: n,
                        found: f.len(),
                    },
                ))
            }
        };
        let text = |k: usize| f[k].to_string();
        let time = |k: usize, field: &'static str| {
            parse_time(f[k]).ok_or_else(|| err(field, FieldError::NotATime { text: text(k) }))
        };
        let int = |k: usize, field: &'static str| {
            f[k].parse::<i64>().map_err(|source| {
                err(
                    field,
                    FieldError::NotAnInteger {
                        text: text(k),
                        source,
                    },
                )
            })
        };
        let id = |k: usize, field: &'static str| {
            f[k].parse::<u32>().map_err(|source| {
                err(
                    field,
                    FieldError::NotAnId {
                        text: text(k),
                        source,
                    },
                )
            })
        };
        let num = |k: usize, field: &'static str| {
            f[k].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| err(field, FieldError::NotANumber { text: text(k) }))
        };
        if f.len() < 2 {
            return Err(err("kind", FieldError::MissingKind));
        }
        let time_s = time(0, "time")?;
        let record = match f[1] {
            "traffic" => {
                need(4)?;
                let factor = num(2, "factor")?;
                if !(0.0..=10.0).contains(&factor) {
                    return Err(invalid("factor", "factor must be in [0, 10]"));
                }
                let ways = f[3]
                    .split(';')
                    .map(|w| {
                        w.trim().parse::<i64>().map_err(|source| {
                            err(
                                "ways",
                                FieldError::NotAnInteger {
                                    text: w.trim().to_string(),
                                    source,
                                },
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                EventRecord::Traffic { factor, ways }
            }
            "order" => {
                need(9)?;
                let (lat, lon) = (num(3, "lat")?, num(4, "lon")?);
                if lat.abs() > 90.0 || lon.abs() > 180.0 {
                    return Err(invalid(
                        "lat",
                        "latitude must be in [-90, 90], longitude in [-180, 180]",
                    ));
                }
                let bottles = int(5, "bottles")?;
                let service_s = int(6, "service_s")?;
                if bottles <= 0 {
                    return Err(invalid("bottles", "bottles must be positive"));
                }
                if service_s < 0 {
                    return Err(invalid("service_s", "service time must not be negative"));
                }
                let window_s = (time(7, "window_start")?, time(8, "window_end")?);
                if window_s.1 < window_s.0 {
                    return Err(invalid("window_end", "window ends before it starts"));
                }
                EventRecord::Order {
                    household: id(2, "household")?,
                    lat,
                    lon,
                    bottles,
                    service_s,
                    window_s,
                }
            }
            "cancel" => {
                need(3)?;
                EventRecord::Cancel {
                    household: id(2, "household")?,
                }
            }
            "failed" => {
                if f.len() == 4 && f[3] == "tomorrow" {
                    EventRecord::Failed {
                        household: id(2, "household")?,
                        retry_s: None,
                    }
                } else {
                    need(5)?;
                    let w = (time(3, "retry_start")?, time(4, "retry_end")?);
                    if w.1 < w.0 {
                        return Err(invalid("retry_end", "window ends before it starts"));
                    }
                    EventRecord::Failed {
                        household: id(2, "household")?,
                        retry_s: Some(w),
                    }
                }
            }
            "breakdown" => {
                need(3)?;
                EventRecord::Breakdown {
                    courier: id(2, "courier")?,
                }
            }
            "delay" => {
                need(4)?;
                let delay_s = int(3, "seconds")?;
                if delay_s < 0 {
                    return Err(invalid("seconds", "a delay is not negative"));
                }
                EventRecord::Delay {
                    courier: id(2, "courier")?,
                    delay_s,
                }
            }
            "delivered" => {
                need(3)?;
                EventRecord::Delivered {
                    household: id(2, "household")?,
                }
            }
            "position" => {
                need(4)?;
                EventRecord::Position {
                    courier: id(2, "courier")?,
                    loc: id(3, "location")?,
                }
            }
            "signedoff" => {
                need(3)?;
                EventRecord::SignedOff {
                    courier: id(2, "courier")?,
                }
            }
            other => {
                return Err(err(
                    "kind",
                    FieldError::UnknownKind {
                        text: other.to_string(),
                    },
                ))
            }
        };
        // Reports of deliveries and failures may come late (out of time order).
        let report = matches!(
            record,
            EventRecord::Delivered { .. } | EventRecord::Failed { .. }
        );
        if !report && out.last().is_some_and(|p: &TimedRecord| p.time_s > time_s) {
            return Err(invalid(
                "time",
                "events must be in time order (only delivered and failed may come late)",
            ));
        }
        out.push(TimedRecord { time_s, record });
    }
    Ok(out)
}

/// What [`generate_events`] makes.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMix {
    /// Seed.
    pub seed: u64,
    /// Total events (the breakdown included).
    pub events: usize,
    /// First and last event time.
    pub span_s: (i64, i64),
    /// Shares of traffic, cancellation, new order, failure (the rest: delays).
    pub shares: [f64; 4],
    /// Time of the one breakdown (`None`: no breakdown).
    pub breakdown_s: Option<i64>,
    /// Ways slowed by one jam, `(min, max)`.
    pub jam_ways: (usize, usize),
    /// How long a jam lasts before its clearing event, minutes `(min, max)`.
    pub jam_minutes: (i64, i64),
    /// Share of failed deliveries whose household asks for a retry later the same morning
    /// (the others are carried over to tomorrow).
    pub retry_share: f64,
}

impl EventMix {
    /// `events` events from 05:00 to 07:15: 10% traffic, 25% cancellations, 25% new orders,
    /// 25% failures, the rest courier delays, and one breakdown at 06:00. A traffic draw is
    /// a jam on 1-4 ways near the households (speed factor 0.2-0.6) that clears 15-45
    /// minutes later (a second traffic event, factor 1); 70% of failures ask for a retry.
    pub fn morning(seed: u64, events: usize) -> Self {
        EventMix {
            seed,
            events,
            span_s: (18_000, 26_100),
            shares: [0.10, 0.25, 0.25, 0.25],
            breakdown_s: Some(21_600),
            jam_ways: (1, 4),
            jam_minutes: (15, 45),
            retry_share: 0.7,
        }
    }
}

/// A seeded stream of events against the planned morning `day` (its planned arrivals pick
/// plausible households: failures among stops due before the event, cancellations among
/// stops due well after it). `ways` are candidate OSM way ids for traffic; `points` candidate
/// addresses `(lat, lon)` for new orders; new households get ids from `first_new_id`.
pub fn generate_events(
    day: &Dispatch,
    mix: &EventMix,
    ways: &[i64],
    points: &[(f64, f64)],
    first_new_id: u32,
) -> Vec<TimedRecord> {
    let mut rng = Pcg64::seed_from_u64(mix.seed);
    let mut times: Vec<i64> = (0..mix
        .events
        .saturating_sub(usize::from(mix.breakdown_s.is_some())))
        .map(|_| rng.random_range(mix.span_s.0..=mix.span_s.1))
        .collect();
    times.sort_unstable();
    // A jam takes two slots (start and clearing): the latest unused slot is given up.
    let mut slots = times.len();
    let mut clearings: Vec<TimedRecord> = Vec::new();
    let eta = day.eta();
    let mut used = vec![false; day.stops().len()];
    let mut next_id = first_new_id;
    let mut out = Vec::new();
    let mut pick_stop = |rng: &mut Pcg64, pred: &dyn Fn(i64) -> bool| -> Option<u32> {
        for _ in 0..200 {
            let s = rng.random_range(0..day.stops().len().max(1));
            if s < used.len()
                && !used[s]
                && day.states()[s] == StopState::Pending
                && eta[s].is_some_and(pred)
            {
                used[s] = true;
                return Some(day.stops()[s].household);
            }
        }
        None
    };
    let mut i = 0;
    while i < slots {
        let t = times[i];
        i += 1;
        let u: f64 = rng.random();
        let [a, b, c, d] = mix.shares;
        // A jam needs ways and a spare slot for its clearing; otherwise a delay.
        let u = if u < a && (ways.is_empty() || i >= slots) {
            1.0
        } else {
            u
        };
        let record = if u < a {
            let (lo, hi) = (
                mix.jam_ways.0.max(1),
                mix.jam_ways.1.max(mix.jam_ways.0.max(1)),
            );
            let k = rng.random_range(lo..=hi);
            let mut w: Vec<i64> = (0..k)
                .map(|_| ways[rng.random_range(0..ways.len())])
                .collect();
            w.sort_unstable();
            w.dedup();
            let factor = (rng.random_range(0.2..0.6f64) * 100.0).round() / 100.0;
            let (m0, m1) = (
                mix.jam_minutes.0.max(1),
                mix.jam_minutes.1.max(mix.jam_minutes.0.max(1)),
            );
            let end = t + 60 * rng.random_range(m0..=m1);
            slots -= 1;
            clearings.push(TimedRecord {
                time_s: end,
                record: EventRecord::Traffic {
                    factor: 1.0,
                    ways: w.clone(),
                },
            });
            Some(EventRecord::Traffic { factor, ways: w })
        } else if u < a + b {
            pick_stop(&mut rng, &|e| e > t + 900).map(|household| EventRecord::Cancel { household })
        } else if u < a + b + c && !points.is_empty() {
            let (lat, lon) = points[rng.random_range(0..points.len())];
            next_id += 1;
            let start = t + 900;
            Some(EventRecord::Order {
                household: next_id - 1,
                lat: (lat * 1e7).round() / 1e7,
                lon: (lon * 1e7).round() / 1e7,
                bottles: rng.random_range(1..=3),
                service_s: rng.random_range(20..=40),
                window_s: (start, (start + 3600).max(27_000)),
            })
        } else if u < a + b + c + d {
            let retry = rng.random::<f64>() < mix.retry_share;
            pick_stop(&mut rng, &|e| e < t && e > t - 1800).map(|household| EventRecord::Failed {
                household,
                retry_s: retry.then_some((t + 1200, t + 3600)),
            })
        } else {
            let k = rng.random_range(0..day.couriers().len().max(1));
            day.couriers().get(k).map(|c| EventRecord::Delay {
                courier: c.id,
                delay_s: rng.random_range(120..=600),
            })
        };
        if let Some(record) = record {
            out.push(TimedRecord { time_s: t, record });
        }
    }
    for c in clearings {
        let at = out.partition_point(|e| e.time_s <= c.time_s);
        out.insert(at, c);
    }
    if let Some(bt) = mix.breakdown_s {
        let k = rng.random_range(0..day.couriers().len().max(1));
        if let Some(c) = day.couriers().get(k) {
            let at = out.partition_point(|e| e.time_s <= bt);
            out.insert(
                at,
                TimedRecord {
                    time_s: bt,
                    record: EventRecord::Breakdown { courier: c.id },
                },
            );
        }
    }
    out
}
