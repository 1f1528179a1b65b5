//! Traffic update messages to the engine's updates.
use milkrun_engine::{EdgeSet, SpeedChange, TrafficUpdate};

use crate::serve::error::Violations;
use crate::serve::proto::v1 as pb;

/// Most updates of one batch, and most way ids of one update.
pub const MAX_UPDATES: usize = 1_000;
/// Most way ids of one update.
pub const MAX_WAYS: usize = 10_000;

/// Checks and converts a batch of updates (`updates[i]...` fields).
pub fn updates(list: &[pb::TrafficUpdate], v: &mut Violations) -> Vec<TrafficUpdate> {
    if list.is_empty() {
        v.add("updates", "at least one update");
    }
    if list.len() > MAX_UPDATES {
        v.add(
            "updates",
            format!("{} updates, at most {MAX_UPDATES}", list.len()),
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, u) in list.iter().enumerate() {
        let field = format!("updates[{i}]");
        if u.way_ids.is_empty() || u.way_ids.len() > MAX_WAYS {
            v.add(
                format!("{field}.way_ids"),
                format!("{} way ids, need 1 to {MAX_WAYS}", u.way_ids.len()),
            );
            continue;
        }
        let change = match u.change.as_ref().and_then(|c| c.change.as_ref()) {
            Some(pb::speed_change::Change::Factor(f))
                if f.is_finite() && *f > 0.0 && *f <= 10.0 =>
            {
                SpeedChange::Factor(*f)
            }
            Some(pb::speed_change::Change::Factor(f)) => {
                v.add(
                    format!("{field}.change.factor"),
                    format!("{f} is not in (0, 10]"),
                );
                continue;
            }
            Some(pb::speed_change::Change::Closed(true)) => SpeedChange::Closed,
            Some(pb::speed_change::Change::Reset(true)) => SpeedChange::Reset,
            _ => {
                v.add(
                    format!("{field}.change"),
                    "set factor, closed: true or reset: true",
                );
                continue;
            }
        };
        out.push(TrafficUpdate {
            edges: EdgeSet::Ways(u.way_ids.clone()),
            change,
        });
    }
    out
}
