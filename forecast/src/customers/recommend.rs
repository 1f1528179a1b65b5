//! Recommendations learnt from purchase histories: item-to-item co-occurrence, and its
//! measurement against "recommend the most popular" on held-out purchases.
//!
//! Why here: this is a model of customer behaviour learnt from a purchase log, like BG/NBD and
//! RFM beside it; it is pure (data in, data out), generic over dense item ids, and the dairy
//! layer can feed it its order lines (customer × product) without this crate knowing orders.
//!
//! The model: two items co-occur when one customer bought both (anywhere in their history).
//! Their similarity is the cosine `c_ij / sqrt(n_i · n_j)`, where `c_ij` counts customers who
//! bought both and `n_i` customers who bought `i`. A customer's score of an item they have not
//! bought is the sum of its similarities to the items they have; the top `k` by score (ties:
//! more popular, then lower id) are recommended. When fewer than `k` items score above zero,
//! the rest are filled with the most popular items not bought (said in [`Recommendation`]).
//!
//! The measurement ([`hit_rate_leave_last_out`]): every customer with at least two orders has
//! their last order (latest date, then latest order) held out; the model and the popularity
//! ranking learn from everything else. A customer is a hit at `k` when one of their `k`
//! recommendations is among the items of the held-out order they had not bought before;
//! customers whose held-out order has no new item cannot be hit and are counted apart.
use std::collections::{BTreeMap, HashMap, HashSet};

use super::date::Date;
use super::transactions::CustomerId;
use super::CustomerError;

/// The most distinct items a model takes.
pub const MAX_ITEMS: usize = 1_000_000;
/// The most distinct items of one customer the model pairs (pairs grow with its square).
pub const MAX_ITEMS_PER_CUSTOMER: usize = 2_000;
/// The most recommendations asked for at once.
pub const MAX_K: usize = 1_000;

/// Opaque dense item index (0..n); the edge that reads a file keeps the external names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub u32);

/// One order line: who bought what, in which order, on which day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    /// The buyer.
    pub customer: CustomerId,
    /// The order (dense; a larger id on the same day is a later order).
    pub order: u32,
    /// The order's day.
    pub date: Date,
    /// The item.
    pub item: ItemId,
}

/// Item-to-item co-occurrence learnt from customers' item sets.
#[derive(Debug, Clone, PartialEq)]
pub struct CoOccurrence {
    /// Customers who bought each item.
    popularity: Vec<u32>,
    /// For each item, its co-occurring items and their cosine similarity, by item.
    neighbours: Vec<Vec<(ItemId, f64)>>,
}

/// A customer's recommendations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// The items, best first.
    pub items: Vec<ItemId>,
    /// How many of them (the last ones) came from the popularity fill, not co-occurrence.
    pub filled_by_popularity: usize,
}

impl CoOccurrence {
    /// Learns from `baskets`: each customer's items (duplicates ignored), over `n_items` items.
    pub fn learn(baskets: &[Vec<ItemId>], n_items: usize) -> Result<CoOccurrence, CustomerError> {
        if n_items > MAX_ITEMS {
            return Err(CustomerError::BadOption {
                option: "n_items",
                reason: "more than 1,000,000 items",
            });
        }
        let mut popularity = vec![0u32; n_items];
        let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
        for basket in baskets {
            let items = distinct(basket, n_items)?;
            if items.len() > MAX_ITEMS_PER_CUSTOMER {
                return Err(CustomerError::BadOption {
                    option: "basket",
                    reason: "a customer has more than 2,000 distinct items",
                });
            }
            for (a, &i) in items.iter().enumerate() {
                popularity[i.0 as usize] += 1;
                for &j in &items[a + 1..] {
                    *pairs.entry((i.0, j.0)).or_default() += 1;
                }
            }
        }
        let mut neighbours = vec![Vec::new(); n_items];
        for (&(i, j), &c) in &pairs {
            let denom =
                (f64::from(popularity[i as usize]) * f64::from(popularity[j as usize])).sqrt();
            let sim = f64::from(c) / denom;
            neighbours[i as usize].push((ItemId(j), sim));
            neighbours[j as usize].push((ItemId(i), sim));
        }
        for n in &mut neighbours {
            n.sort_by_key(|&(item, _)| item);
        }
        Ok(CoOccurrence {
            popularity,
            neighbours,
        })
    }

    /// How many customers bought each item.
    pub fn popularity(&self) -> &[u32] {
        &self.popularity
    }

    /// The top `k` items for a customer who bought `bought`, none of them already bought.
    pub fn recommend(&self, bought: &[ItemId], k: usize) -> Result<Recommendation, CustomerError> {
        check_k(k)?;
        let owned = distinct(bought, self.popularity.len())?;
        let owned_set: HashSet<ItemId> = owned.iter().copied().collect();
        let mut scores: BTreeMap<ItemId, f64> = BTreeMap::new();
        for i in &owned {
            for &(j, sim) in &self.neighbours[i.0 as usize] {
                if !owned_set.contains(&j) {
                    *scores.entry(j).or_default() += sim;
                }
            }
        }
        let mut ranked: Vec<(ItemId, f64)> = scores.into_iter().filter(|&(_, s)| s > 0.0).collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(self.popularity[b.0 .0 as usize].cmp(&self.popularity[a.0 .0 as usize]))
                .then(a.0.cmp(&b.0))
        });
        let mut items: Vec<ItemId> = ranked.into_iter().take(k).map(|(i, _)| i).collect();
        let from_model = items.len();
        if items.len() < k {
            let taken: HashSet<ItemId> = items.iter().copied().collect();
            let fill = most_popular(&self.popularity, bought, (k + taken.len()).min(MAX_K))?
                .into_iter()
                .filter(|i| !taken.contains(i))
                .take(k - items.len());
            items.extend(fill);
        }
        Ok(Recommendation {
            filled_by_popularity: items.len() - from_model,
            items,
        })
    }
}

/// The `k` items bought by the most customers (ties: lower id first), none of them in
/// `bought`: the baseline.
pub fn most_popular(
    popularity: &[u32],
    bought: &[ItemId],
    k: usize,
) -> Result<Vec<ItemId>, CustomerError> {
    check_k(k)?;
    let owned: HashSet<ItemId> = distinct(bought, popularity.len())?.into_iter().collect();
    let mut ranked: Vec<ItemId> = (0..popularity.len())
        .map(|i| ItemId(i as u32))
        .filter(|i| !owned.contains(i) && popularity[i.0 as usize] > 0)
        .collect();
    ranked.sort_by(|a, b| {
        popularity[b.0 as usize]
            .cmp(&popularity[a.0 as usize])
            .then(a.cmp(b))
    });
    ranked.truncate(k);
    Ok(ranked)
}

/// Hit rates of co-occurrence and of the popularity baseline at one `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitRate {
    /// The number of recommendations per customer.
    pub k: usize,
    /// Customers evaluated (at least two orders and a new item in the held-out one).
    pub customers: usize,
    /// Customers with two or more orders whose held-out order had no new item.
    pub no_new_item: usize,
    /// Customers with a single order (nothing to hold out; their order is training data).
    pub single_order: usize,
    /// Evaluated customers hit by co-occurrence.
    pub cooccurrence_hits: usize,
    /// Evaluated customers hit by the most popular items.
    pub popular_hits: usize,
    /// Co-occurrence recommendations (over all evaluated customers) that were popularity fill.
    pub filled_by_popularity: usize,
}

impl HitRate {
    /// Co-occurrence's hit rate (0 when nobody was evaluated).
    pub fn cooccurrence(&self) -> f64 {
        ratio(self.cooccurrence_hits, self.customers)
    }

    /// The baseline's hit rate (0 when nobody was evaluated).
    pub fn popular(&self) -> f64 {
        ratio(self.popular_hits, self.customers)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Leave-last-order-out hit rates at each of `ks` (see the module doc), over `n_items` items.
pub fn hit_rate_leave_last_out(
    purchases: &[Purchase],
    n_items: usize,
    ks: &[usize],
) -> Result<Vec<HitRate>, CustomerError> {
    for &k in ks {
        check_k(k)?;
    }
    // Each customer's orders: (date, order) -> items.
    let mut orders: BTreeMap<CustomerId, BTreeMap<(Date, u32), Vec<ItemId>>> = BTreeMap::new();
    for p in purchases {
        orders
            .entry(p.customer)
            .or_default()
            .entry((p.date, p.order))
            .or_default()
            .push(p.item);
    }
    let mut baskets = Vec::with_capacity(orders.len());
    let mut held_out = Vec::new();
    let mut single_order = 0;
    for per_order in orders.values() {
        let mut history: Vec<ItemId> = Vec::new();
        let last = per_order.keys().next_back().copied();
        for (key, items) in per_order {
            if per_order.len() >= 2 && Some(*key) == last {
                continue;
            }
            history.extend(items);
        }
        if per_order.len() < 2 {
            single_order += 1;
        } else if let Some(last_items) = last.and_then(|k| per_order.get(&k)) {
            let seen: HashSet<ItemId> = history.iter().copied().collect();
            let new: HashSet<ItemId> = last_items
                .iter()
                .copied()
                .filter(|i| !seen.contains(i))
                .collect();
            held_out.push((baskets.len(), new));
        }
        baskets.push(history);
    }
    let model = CoOccurrence::learn(&baskets, n_items)?;
    let mut out = Vec::with_capacity(ks.len());
    for &k in ks {
        let mut rate = HitRate {
            k,
            customers: 0,
            no_new_item: 0,
            single_order,
            cooccurrence_hits: 0,
            popular_hits: 0,
            filled_by_popularity: 0,
        };
        for (b, new) in &held_out {
            if new.is_empty() {
                rate.no_new_item += 1;
                continue;
            }
            rate.customers += 1;
            let rec = model.recommend(&baskets[*b], k)?;
            rate.filled_by_popularity += rec.filled_by_popularity;
            if rec.items.iter().any(|i| new.contains(i)) {
                rate.cooccurrence_hits += 1;
            }
            let pop = most_popular(model.popularity(), &baskets[*b], k)?;
            if pop.iter().any(|i| new.contains(i)) {
                rate.popular_hits += 1;
            }
        }
        out.push(rate);
    }
    Ok(out)
}

fn check_k(k: usize) -> Result<(), CustomerError> {
    if k == 0 || k > MAX_K {
        return Err(CustomerError::BadOption {
            option: "k",
            reason: "must be 1..=1000",
        });
    }
    Ok(())
}

/// The distinct items of `items`, sorted; an id out of range is an error.
fn distinct(items: &[ItemId], n_items: usize) -> Result<Vec<ItemId>, CustomerError> {
    if items.iter().any(|i| i.0 as usize >= n_items) {
        return Err(CustomerError::BadOption {
            option: "item",
            reason: "an item id is not below n_items",
        });
    }
    let mut v = items.to_vec();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Customers A {0,1}, B {0,1,2}, C {3}, D {3}: item 3 is the most popular with 0 and 1,
    /// but for a customer who bought 0, co-occurrence recommends 1 (bought with 0 by both of
    /// its buyers), then 2, and fills the third slot with 3 from popularity.
    #[test]
    fn cooccurrence_on_a_hand_checked_log() -> Result<(), CustomerError> {
        let i = ItemId;
        let baskets = vec![
            vec![i(0), i(1)],
            vec![i(0), i(1), i(2), i(2)],
            vec![i(3)],
            vec![i(3)],
        ];
        let m = CoOccurrence::learn(&baskets, 4)?;
        assert_eq!(m.popularity(), [2, 2, 1, 2]);
        let r = m.recommend(&[i(0)], 3)?;
        assert_eq!(r.items, [i(1), i(2), i(3)]);
        assert_eq!(r.filled_by_popularity, 1);
        assert_eq!(most_popular(m.popularity(), &[i(0)], 2)?, [i(1), i(3)]);
        assert!(m.recommend(&[i(9)], 3).is_err());
        assert!(m.recommend(&[i(0)], 0).is_err());
        Ok(())
    }

    /// Leave-last-out on a tiny log: customer 0's last order brings item 2, which co-occurs
    /// with item 0 in customer 1's history, so co-occurrence hits at k = 1 and popularity
    /// (item 3, bought by customers 2 and 3) misses; customer 4 has one order.
    #[test]
    fn leave_last_out_counts_hits() -> Result<(), CustomerError> {
        let d = |s: &str| Date::parse(s).ok_or(CustomerError::EmptyLog);
        let p = |c: u32, order: u32, day: &str, item: u32| -> Result<Purchase, CustomerError> {
            Ok(Purchase {
                customer: CustomerId(c),
                order,
                date: d(day)?,
                item: ItemId(item),
            })
        };
        let log = vec![
            p(0, 1, "2011-01-01", 0)?,
            p(0, 5, "2011-02-01", 2)?,
            p(1, 2, "2011-01-02", 0)?,
            p(1, 2, "2011-01-02", 2)?,
            p(1, 6, "2011-02-02", 0)?,
            p(2, 3, "2011-01-03", 3)?,
            p(2, 7, "2011-01-04", 1)?,
            p(3, 4, "2011-01-03", 3)?,
            p(3, 8, "2011-01-05", 3)?,
            p(4, 9, "2011-01-05", 3)?,
        ];
        let rates = hit_rate_leave_last_out(&log, 4, &[1])?;
        let r = rates[0];
        // Evaluated: customer 0 (new item 2) and customer 2 (new item 1); customer 1's and
        // customer 3's last orders bring nothing new.
        assert_eq!((r.customers, r.no_new_item, r.single_order), (2, 2, 1));
        assert_eq!(r.cooccurrence_hits, 1);
        assert_eq!(r.popular_hits, 0);
        assert!((r.cooccurrence() - 0.5).abs() < 1e-12);
        Ok(())
    }
}
