//! Pack sizes and minimum order quantities: choose the best feasible order, not the rounded one.
//!
//! The expected cost of an order is convex in the quantity, so among the pack multiples at or
//! above the minimum order the best one is next to the continuous optimum: the two multiples
//! around it (each raised to the minimum order) are compared, and so is ordering nothing.

use super::error::{non_negative, positive, OrderingError};

/// Ordering in packs (crates of 12) with a minimum order quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackRule {
    pack_size: f64,
    min_order: f64,
}

impl PackRule {
    /// `pack_size` > 0 units per pack; `min_order` ≥ 0 units (0 = none).
    pub fn new(pack_size: f64, min_order: f64) -> Result<Self, OrderingError> {
        Ok(PackRule {
            pack_size: positive("pack_size", pack_size)?,
            min_order: non_negative("min_order", min_order)?,
        })
    }
    /// Single units, no minimum.
    pub fn units() -> Self {
        PackRule {
            pack_size: 1.0,
            min_order: 0.0,
        }
    }
    /// Units per pack.
    pub fn pack_size(&self) -> f64 {
        self.pack_size
    }
    /// Minimum order in units.
    pub fn min_order(&self) -> f64 {
        self.min_order
    }
    /// The smallest allowed non-zero order: the minimum order rounded up to whole packs.
    pub fn smallest_order(&self) -> f64 {
        (self.min_order / self.pack_size).ceil().max(1.0) * self.pack_size
    }
    /// True when `q` is 0 or a whole number of packs at or above the minimum.
    pub fn allows(&self, q: f64) -> bool {
        if q == 0.0 {
            return true;
        }
        let packs = q / self.pack_size;
        (packs - packs.round()).abs() < 1e-9 && q + 1e-9 >= self.min_order
    }

    /// The allowed order minimising `cost` (a convex function of the order quantity), given the
    /// continuous optimum `continuous`. Ties go to the smaller order.
    pub fn best_order(&self, continuous: f64, cost: impl Fn(f64) -> f64) -> f64 {
        let smallest = self.smallest_order();
        let packs = (continuous.max(0.0) / self.pack_size).floor();
        let mut candidates = vec![0.0];
        for k in [packs, packs + 1.0] {
            candidates.push((k * self.pack_size).max(smallest));
        }
        let mut best = (0.0, cost(0.0));
        for q in candidates {
            let c = cost(q);
            if c < best.1 - 1e-12 {
                best = (q, c);
            }
        }
        best.0
    }
}
