//! Low-stock alerts: per station and product, when the stock usable tomorrow falls below the
//! tenant's threshold or below tomorrow's frozen demand.
use std::collections::{BTreeMap, BTreeSet};

use milkrun_calendar::Date;

use crate::dedupe::DedupeKey;
use crate::error::DairyError;
use crate::ids::{ProductId, StationId};
use crate::outbox::{OutboxMessage, Topic};
use crate::stock::fefo::LotStock;

/// A product running low at a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowStock {
    /// The station.
    pub station: StationId,
    /// The product.
    pub product: ProductId,
    /// The day the stock must serve (tomorrow).
    pub date: Date,
    /// Units on hand that do not expire before `date`.
    pub usable: u64,
    /// Units of the day's frozen orders.
    pub demand: u64,
    /// The tenant's threshold for the product, if it has one.
    pub threshold: Option<u64>,
}

impl LowStock {
    /// The outbox message: one per station, product and day (key
    /// `low_stock:<station>:<product>:<date>`), so checking again the same day adds nothing.
    pub fn message(&self) -> Result<OutboxMessage, DairyError> {
        let key = DedupeKey::new(&format!(
            "low_stock:{}:{}:{}",
            self.station, self.product, self.date
        ))?;
        let threshold = self
            .threshold
            .map_or_else(|| "null".to_owned(), |t| t.to_string());
        let payload = format!(
            "{{\"station_id\":{},\"product_id\":{},\"date\":\"{}\",\"usable\":{},\
             \"demand\":{},\"threshold\":{threshold}}}",
            self.station, self.product, self.date, self.usable, self.demand
        );
        OutboxMessage::new(key, Topic::LowStock, payload)
    }
}

/// The products of `station` that run low for `date`: usable stock (lots on hand with expiry
/// on or after `date`) below the product's threshold or below `demand` (units of `date`'s
/// frozen orders per product). Products in any of the three inputs are checked, in id order.
pub fn low_stock(
    station: StationId,
    date: Date,
    lots: &[LotStock],
    demand: &BTreeMap<ProductId, u64>,
    thresholds: &BTreeMap<ProductId, u64>,
) -> Vec<LowStock> {
    let mut usable: BTreeMap<ProductId, u64> = BTreeMap::new();
    for l in lots.iter().filter(|l| l.expiry >= date) {
        let u = usable.entry(l.product).or_default();
        *u = u.saturating_add(l.on_hand);
    }
    let products: BTreeSet<ProductId> = usable
        .keys()
        .chain(demand.keys())
        .chain(thresholds.keys())
        .copied()
        .collect();
    products
        .into_iter()
        .filter_map(|product| {
            let have = usable.get(&product).copied().unwrap_or(0);
            let need = demand.get(&product).copied().unwrap_or(0);
            let threshold = thresholds.get(&product).copied();
            (have < need || threshold.is_some_and(|t| have < t)).then_some(LowStock {
                station,
                product,
                date,
                usable: have,
                demand: need,
                threshold,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::LotId;

    /// Milk has 6 usable (a lot expiring today does not count) against a demand of 8: low.
    /// Skimmed has 5 against a threshold of 4 and no demand: fine. Yoghurt has none against a
    /// threshold of 2: low. The message key is per station, product and day.
    #[test]
    fn below_threshold_or_demand() -> Result<(), Box<dyn std::error::Error>> {
        let tomorrow = Date::parse_iso("2028-03-02")?;
        let lot = |id, product, expiry: Date, on_hand| LotStock {
            lot: LotId(id),
            product: ProductId(product),
            received: tomorrow.add_days(-2),
            expiry,
            on_hand,
        };
        let lots = [
            lot(1, 1, tomorrow, 6),
            lot(2, 1, tomorrow.add_days(-1), 9),
            lot(3, 2, tomorrow.add_days(1), 5),
        ];
        let demand = BTreeMap::from([(ProductId(1), 8)]);
        let thresholds = BTreeMap::from([(ProductId(2), 4), (ProductId(3), 2)]);
        let low = low_stock(StationId(1), tomorrow, &lots, &demand, &thresholds);
        let got: Vec<(i64, u64, u64)> = low
            .iter()
            .map(|l| (l.product.0, l.usable, l.demand))
            .collect();
        assert_eq!(got, [(1, 6, 8), (3, 0, 0)]);
        let m = low[0].message()?;
        assert_eq!(m.key.as_str(), "low_stock:1:1:2028-03-02");
        assert_eq!(m.topic, Topic::LowStock);
        Ok(())
    }
}
