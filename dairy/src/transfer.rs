//! Transfers between stations: the cheapest moves of one product that cover the stations'
//! shortages from the others' surpluses, as a linear program (good_lp, microlp backend).
//!
//! With `s_i` the surplus of station `i`, `d_j` the shortage of station `j`, `c_ij` the cost
//! of moving one unit from `i` to `j` (only the pairs given may move) and `P` the price of a
//! unit of shortage left unmet:
//!
//! ```text
//! minimise   Σ c_ij x_ij + P Σ u_j
//! subject to Σ_j x_ij ≤ s_i          (a station gives at most its surplus)
//!            Σ_i x_ij + u_j = d_j    (every shortage is covered or priced as unmet)
//!            x, u ≥ 0
//! ```
//!
//! Unmet shortage keeps it feasible when supply is short or a pair cannot move. This is a
//! transportation problem: its constraint matrix is totally unimodular, so with whole-unit
//! surpluses and shortages the simplex's optimal vertex is whole and no integrality
//! constraint is needed; the solution is still checked to be whole and to satisfy every
//! constraint before it is returned.
use std::collections::{BTreeMap, BTreeSet};

use good_lp::solvers::microlp::microlp;
use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel, Variable};

use crate::error::{invalid, DairyError};
use crate::ids::StationId;
use crate::money::Cents;

/// The most stations one plan takes (the LP has a variable per pair).
pub const MAX_STATIONS: usize = 200;
/// The most units of surplus or shortage per station: keeps every cost exact in `f64`.
pub const MAX_UNITS: u64 = 1_000_000_000;
/// The highest cost per unit of a move or of unmet shortage, in cents.
pub const MAX_UNIT_COST: Cents = Cents(1_000_000);

/// One station's position in the product: surplus to give or shortage to cover (not both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationNeed {
    /// The station.
    pub station: StationId,
    /// Units it can give.
    pub surplus: u64,
    /// Units it lacks.
    pub shortage: u64,
}

impl StationNeed {
    /// The position of a station holding `usable` units against `demand`.
    pub fn of(station: StationId, usable: u64, demand: u64) -> StationNeed {
        StationNeed {
            station,
            surplus: usable.saturating_sub(demand),
            shortage: demand.saturating_sub(usable),
        }
    }
}

/// The cost of moving one unit from one station to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferCost {
    /// From.
    pub from: StationId,
    /// To.
    pub to: StationId,
    /// Per unit, 0..=[`MAX_UNIT_COST`].
    pub per_unit: Cents,
}

/// A move in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// From.
    pub from: StationId,
    /// To.
    pub to: StationId,
    /// Units.
    pub quantity: u64,
    /// Its cost.
    pub cost: Cents,
}

/// The cheapest plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferPlan {
    /// Moves, by (from, to).
    pub transfers: Vec<Transfer>,
    /// Shortage left unmet per station (only stations with some), by station.
    pub unmet: Vec<(StationId, u64)>,
    /// Cost of the moves.
    pub transport: Cents,
    /// The objective: moves plus unmet shortage at its price.
    pub total: Cents,
}

fn check_cost(field: &'static str, c: Cents) -> Result<(), DairyError> {
    if c.0 < 0 || c > MAX_UNIT_COST {
        return Err(invalid(
            field,
            format!("must be 0..={} cents, got {}", MAX_UNIT_COST.0, c.0),
        ));
    }
    Ok(())
}

/// The cheapest transfers covering `needs` over the allowed `costs`, unmet shortage priced at
/// `unmet_per_unit`. Refused, naming the field: a station listed twice or with both surplus
/// and shortage, more than [`MAX_STATIONS`] stations, quantities above [`MAX_UNITS`], costs
/// outside 0..=[`MAX_UNIT_COST`], a cost naming an unknown station, a station to itself or a
/// pair twice.
pub fn plan_transfers(
    needs: &[StationNeed],
    costs: &[TransferCost],
    unmet_per_unit: Cents,
) -> Result<TransferPlan, DairyError> {
    if needs.len() > MAX_STATIONS {
        return Err(invalid("needs", format!("at most {MAX_STATIONS} stations")));
    }
    check_cost("unmet_per_unit", unmet_per_unit)?;
    let mut stations = BTreeMap::new();
    for n in needs {
        if n.surplus > MAX_UNITS || n.shortage > MAX_UNITS {
            return Err(invalid(
                "needs.quantity",
                format!("at most {MAX_UNITS} units"),
            ));
        }
        if n.surplus > 0 && n.shortage > 0 {
            return Err(invalid(
                "needs",
                format!("station {} has both a surplus and a shortage", n.station),
            ));
        }
        if stations.insert(n.station, *n).is_some() {
            return Err(invalid(
                "needs",
                format!("station {} is listed twice", n.station),
            ));
        }
    }
    let mut pairs = BTreeMap::new();
    for c in costs {
        check_cost("costs.per_unit", c.per_unit)?;
        if !stations.contains_key(&c.from) || !stations.contains_key(&c.to) {
            return Err(invalid(
                "costs",
                format!("{} -> {} names a station not in needs", c.from, c.to),
            ));
        }
        if c.from == c.to {
            return Err(invalid("costs", format!("{} -> itself", c.from)));
        }
        if pairs.insert((c.from, c.to), c.per_unit).is_some() {
            return Err(invalid(
                "costs",
                format!("{} -> {} is given twice", c.from, c.to),
            ));
        }
    }
    let short: BTreeSet<StationId> = needs
        .iter()
        .filter(|n| n.shortage > 0)
        .map(|n| n.station)
        .collect();
    if short.is_empty() {
        return Ok(TransferPlan::default());
    }
    // Only pairs from a surplus to a shortage can carry anything.
    let lanes: Vec<(StationId, StationId, Cents)> = pairs
        .iter()
        .filter(|((f, t), _)| stations[f].surplus > 0 && stations[t].shortage > 0)
        .map(|(&(f, t), &c)| (f, t, c))
        .collect();
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::default();
    let x: Vec<Variable> = lanes
        .iter()
        .map(|&(f, _, c)| {
            let v = vars.add(variable().min(0.0).max(stations[&f].surplus as f64));
            objective.add_mul(c.0 as f64, v);
            v
        })
        .collect();
    let u: BTreeMap<StationId, Variable> = short
        .iter()
        .map(|&s| {
            let v = vars.add(variable().min(0.0).max(stations[&s].shortage as f64));
            objective.add_mul(unmet_per_unit.0 as f64, v);
            (s, v)
        })
        .collect();
    let mut problem = vars.minimise(objective).using(microlp);
    for n in needs.iter().filter(|n| n.surplus > 0) {
        let mut out = Expression::default();
        for (k, l) in lanes.iter().enumerate() {
            if l.0 == n.station {
                out.add_mul(1.0, x[k]);
            }
        }
        problem = problem.with(out.leq(n.surplus as f64));
    }
    for (&s, &v) in &u {
        let mut inflow = Expression::from(v);
        for (k, l) in lanes.iter().enumerate() {
            if l.1 == s {
                inflow.add_mul(1.0, x[k]);
            }
        }
        problem = problem.with(inflow.eq(stations[&s].shortage as f64));
    }
    let solution = problem
        .solve()
        .map_err(|e| invalid("transfer LP", format!("the solver failed: {e}")))?;
    let whole = |v: f64| -> Result<u64, DairyError> {
        let r = v.round();
        if (v - r).abs() > 1e-6 || r < 0.0 {
            return Err(invalid(
                "transfer LP",
                format!("the solver returned {v}, not a whole number of units"),
            ));
        }
        Ok(r as u64)
    };
    let overflow = || DairyError::Overflow {
        what: "transfer cost",
    };
    let mut plan = TransferPlan::default();
    let mut given: BTreeMap<StationId, u64> = BTreeMap::new();
    let mut got: BTreeMap<StationId, u64> = BTreeMap::new();
    for (k, &(from, to, per_unit)) in lanes.iter().enumerate() {
        let quantity = whole(solution.value(x[k]))?;
        if quantity == 0 {
            continue;
        }
        let cost = Cents(
            per_unit
                .0
                .checked_mul(i64::try_from(quantity).map_err(|_| overflow())?)
                .ok_or_else(overflow)?,
        );
        plan.transport = plan.transport.checked_add(cost, "transfer cost")?;
        *given.entry(from).or_default() += quantity;
        *got.entry(to).or_default() += quantity;
        plan.transfers.push(Transfer {
            from,
            to,
            quantity,
            cost,
        });
    }
    plan.total = plan.transport;
    for (&s, &v) in &u {
        let unmet = whole(solution.value(v))?;
        let covered = got.get(&s).copied().unwrap_or(0);
        if covered + unmet != stations[&s].shortage {
            return Err(invalid(
                "transfer LP",
                format!("station {s}'s shortage is not balanced by the solution"),
            ));
        }
        if unmet > 0 {
            let price = unmet_per_unit
                .0
                .checked_mul(i64::try_from(unmet).map_err(|_| overflow())?)
                .ok_or_else(overflow)?;
            plan.total = plan.total.checked_add(Cents(price), "transfer cost")?;
            plan.unmet.push((s, unmet));
        }
    }
    if given.iter().any(|(s, &g)| g > stations[s].surplus) {
        return Err(invalid(
            "transfer LP",
            "the solution gives more than a surplus",
        ));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn cost(from: i64, to: i64, cents: i64) -> TransferCost {
        TransferCost {
            from: StationId(from),
            to: StationId(to),
            per_unit: Cents(cents),
        }
    }

    /// Three stations, worked by hand.
    ///
    /// Case 1, supply enough. Station 3 lacks 8 units; station 1 has 6 spare and station 2
    /// has 5. A unit costs 0.40 from 1 to 3 and 0.10 from 2 to 3 (and 0.05 from 1 to 2, which
    /// carries nothing: 2 has no shortage). Cheapest: all 5 of station 2 at 0.10 (0.50), the
    /// other 3 from station 1 at 0.40 (1.20): 1.70, nothing unmet. Any unit moved from 1
    /// instead of 2 costs 0.30 more.
    ///
    /// Case 2, supply short. Station 1 has 8 spare; station 2 lacks 5 and station 3 lacks 6;
    /// a unit costs 0.30 from 1 to 2 and 0.20 from 1 to 3; unmet shortage costs 5.00 a unit.
    /// All 8 move (a move costs less than leaving a unit short), and 3 stay unmet (11 - 8).
    /// The cheaper lane fills first: 6 to station 3 (1.20) and 2 to station 2 (0.60), so
    /// station 2 has 3 unmet (15.00): total 1.80 + 15.00 = 16.80. The other split, 5 to
    /// station 2 and 3 to station 3, costs 1.50 + 0.60 + 15.00 = 17.10.
    #[test]
    fn hand_checked_three_stations() -> TestResult {
        let needs = [
            StationNeed::of(StationId(1), 10, 4),
            StationNeed::of(StationId(2), 7, 2),
            StationNeed::of(StationId(3), 1, 9),
        ];
        let costs = [cost(1, 3, 40), cost(2, 3, 10), cost(1, 2, 5)];
        let plan = plan_transfers(&needs, &costs, Cents(500))?;
        let moves: Vec<(i64, i64, u64)> = plan
            .transfers
            .iter()
            .map(|t| (t.from.0, t.to.0, t.quantity))
            .collect();
        assert_eq!(moves, [(1, 3, 3), (2, 3, 5)]);
        assert!(plan.unmet.is_empty());
        assert_eq!((plan.transport, plan.total), (Cents(170), Cents(170)));

        let needs = [
            StationNeed::of(StationId(1), 8, 0),
            StationNeed::of(StationId(2), 0, 5),
            StationNeed::of(StationId(3), 0, 6),
        ];
        let costs = [cost(1, 2, 30), cost(1, 3, 20)];
        let plan = plan_transfers(&needs, &costs, Cents(500))?;
        let moves: Vec<(i64, i64, u64)> = plan
            .transfers
            .iter()
            .map(|t| (t.from.0, t.to.0, t.quantity))
            .collect();
        assert_eq!(moves, [(1, 2, 2), (1, 3, 6)]);
        assert_eq!(plan.unmet, [(StationId(2), 3)]);
        assert_eq!((plan.transport, plan.total), (Cents(180), Cents(1680)));
        Ok(())
    }

    /// No lane to a short station leaves it unmet; no shortage needs no solve; bad input is
    /// refused naming the field.
    #[test]
    fn unmet_and_bad_input() -> TestResult {
        let needs = [
            StationNeed::of(StationId(1), 5, 0),
            StationNeed::of(StationId(2), 0, 4),
        ];
        let plan = plan_transfers(&needs, &[], Cents(100))?;
        assert_eq!(
            (plan.unmet.clone(), plan.total),
            (vec![(StationId(2), 4)], Cents(400))
        );
        assert_eq!(
            plan_transfers(&needs[..1], &[], Cents(100))?,
            TransferPlan::default()
        );
        let err = |r: Result<TransferPlan, DairyError>, field: &str| {
            assert!(r.is_err_and(|e| e.to_string().contains(field)));
        };
        err(plan_transfers(&needs, &[cost(1, 9, 1)], Cents(1)), "costs");
        err(plan_transfers(&needs, &[cost(1, 1, 1)], Cents(1)), "costs");
        err(
            plan_transfers(&needs, &[cost(1, 2, -1)], Cents(1)),
            "costs.per_unit",
        );
        err(plan_transfers(&needs, &[], Cents(-1)), "unmet_per_unit");
        let twice = [needs[0], needs[0]];
        err(plan_transfers(&twice, &[], Cents(1)), "needs");
        let both = [StationNeed {
            station: StationId(1),
            surplus: 1,
            shortage: 1,
        }];
        err(plan_transfers(&both, &[], Cents(1)), "needs");
        Ok(())
    }
}
