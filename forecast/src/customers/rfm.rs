//! RFM quintile scores: recency, frequency and monetary value each scored 1 (worst) to 5 (best).

use super::transactions::CustomerSummary;

/// One customer's RFM scores, each 1..=5 (5 = most recent / most frequent / highest spend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RfmScore {
    /// Recency: weeks since the last calibration purchase, fewer is better.
    pub recency: u8,
    /// Frequency: repeat purchases in calibration.
    pub frequency: u8,
    /// Monetary: mean spend per calibration purchase day.
    pub monetary: u8,
}

impl RfmScore {
    /// The classic three-digit cell code, e.g. 545.
    pub fn code(&self) -> u16 {
        100 * u16::from(self.recency) + 10 * u16::from(self.frequency) + u16::from(self.monetary)
    }
}

/// Quintile scores by rank: a value's score is 1 + ⌊5 · (number of worse values) / n⌋, so tied
/// values share a score and the result does not depend on the input order.
pub fn rfm_scores(customers: &[CustomerSummary]) -> Vec<RfmScore> {
    // Negated recency so that "larger is better" holds for all three.
    let recency: Vec<f64> = customers
        .iter()
        .map(|c| -c.weeks_since_last_purchase())
        .collect();
    let frequency: Vec<f64> = customers.iter().map(|c| f64::from(c.frequency)).collect();
    let monetary: Vec<f64> = customers.iter().map(|c| c.mean_spend).collect();
    let (r, f, m) = (
        quintiles(&recency),
        quintiles(&frequency),
        quintiles(&monetary),
    );
    (0..customers.len())
        .map(|i| RfmScore {
            recency: r[i],
            frequency: f[i],
            monetary: m[i],
        })
        .collect()
}

/// Score 1..=5 of each value by the share of strictly smaller values.
fn quintiles(values: &[f64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = values.len().max(1);
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|s| s.total_cmp(v).is_lt());
            (1 + (5 * below) / n).min(5) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten distinct values fall two per quintile; ties share the lower score.
    #[test]
    fn quintiles_by_rank() {
        let v: Vec<f64> = (0..10).rev().map(f64::from).collect();
        assert_eq!(quintiles(&v), vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        assert_eq!(quintiles(&[1.0, 1.0, 1.0, 2.0]), vec![1, 1, 1, 4]);
    }
}
