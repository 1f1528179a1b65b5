//! The stepwise order search of Hyndman and Khandakar (2008, section 3.2), with the
//! differencing orders fixed beforehand: four starting models, then moves of one or two orders
//! from the best model so far, until no move lowers the AICc or the budget is spent.
use super::fit::fit_order;
use super::{ArimaFit, Order};

/// Bounds of the order search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchLimits {
    /// Largest non-seasonal AR order `p`.
    pub max_p: usize,
    /// Largest non-seasonal MA order `q`.
    pub max_q: usize,
    /// Largest seasonal AR order `P`.
    pub max_big_p: usize,
    /// Largest seasonal MA order `Q`.
    pub max_big_q: usize,
    /// Largest `p + q + P + Q`.
    pub max_order: usize,
    /// Most models fitted by one search (each fit is itself bounded, see [`super::fit`]).
    pub max_models: usize,
}

impl Default for SearchLimits {
    /// `p, q <= 5`, `P, Q <= 2` (the paper's bounds), `p + q + P + Q <= 6` (room for the
    /// first starting model, ARIMA(2,d,2)(1,D,1)) and at most 30 models (the paper allows 94;
    /// the search rarely goes past 20).
    fn default() -> SearchLimits {
        SearchLimits {
            max_p: 5,
            max_q: 5,
            max_big_p: 2,
            max_big_q: 2,
            max_order: 6,
            max_models: 30,
        }
    }
}

impl SearchLimits {
    fn allows(&self, o: &Order, seasonal: bool) -> bool {
        o.p <= self.max_p
            && o.q <= self.max_q
            && o.big_p <= self.max_big_p
            && o.big_q <= self.max_big_q
            && o.p + o.q + o.big_p + o.big_q <= self.max_order
            && (seasonal || o.big_p + o.big_q == 0)
    }
}

/// The moves of the stepwise search from `o`: each of `p, q, P, Q` by plus or minus one, and
/// `p, q` together and `P, Q` together by plus or minus one.
fn moves(o: &Order) -> Vec<Order> {
    let step = |v: usize, by: i8| -> Option<usize> {
        match by {
            1 => Some(v + 1),
            _ => v.checked_sub(1),
        }
    };
    let mut out = Vec::with_capacity(12);
    for by in [1i8, -1] {
        if let Some(p) = step(o.p, by) {
            out.push(Order { p, ..*o });
        }
        if let Some(q) = step(o.q, by) {
            out.push(Order { q, ..*o });
        }
        if let Some(big_p) = step(o.big_p, by) {
            out.push(Order { big_p, ..*o });
        }
        if let Some(big_q) = step(o.big_q, by) {
            out.push(Order { big_q, ..*o });
        }
        if let (Some(p), Some(q)) = (step(o.p, by), step(o.q, by)) {
            out.push(Order { p, q, ..*o });
        }
        if let (Some(big_p), Some(big_q)) = (step(o.big_p, by), step(o.big_q, by)) {
            out.push(Order { big_p, big_q, ..*o });
        }
    }
    out
}

/// Stepwise search of `p, q, P, Q` at differencing `d, D` on `y` with season `m` (seasonal
/// terms only when `m > 1`). `stop` is asked before every fit; a stopped search returns
/// `None`, as does one where no model could be fitted.
pub fn stepwise(
    y: &[f64],
    m: usize,
    d: usize,
    big_d: usize,
    limits: &SearchLimits,
    stop: &dyn Fn() -> bool,
) -> Option<ArimaFit> {
    let seasonal = m > 1;
    let s = usize::from(seasonal);
    let at = |p, q, big_p, big_q| Order {
        p,
        d,
        q,
        big_p,
        big_d,
        big_q,
    };
    let starts = [
        at(2, 2, s, s),
        at(0, 0, 0, 0),
        at(1, 0, s, 0),
        at(0, 1, 0, s),
    ];
    let mut tried: Vec<Order> = Vec::with_capacity(limits.max_models);
    let mut best: Option<ArimaFit> = None;
    let try_fit = |o: Order, best: &mut Option<ArimaFit>, tried: &mut Vec<Order>| {
        if tried.contains(&o) || !limits.allows(&o, seasonal) || tried.len() >= limits.max_models {
            return Some(false);
        }
        if stop() {
            return None;
        }
        tried.push(o);
        let Some(f) = fit_order(y, o, m) else {
            return Some(false);
        };
        let better = best.as_ref().is_none_or(|b| f.aicc < b.aicc);
        if better && f.aicc.is_finite() {
            *best = Some(f);
            return Some(true);
        }
        Some(false)
    };
    for o in starts {
        try_fit(o, &mut best, &mut tried)?;
    }
    loop {
        let current = best.as_ref().map(|b| b.order)?;
        let mut improved = false;
        for o in moves(&current) {
            if try_fit(o, &mut best, &mut tried)? {
                improved = true;
                break;
            }
        }
        if !improved || tried.len() >= limits.max_models {
            return best;
        }
    }
}
