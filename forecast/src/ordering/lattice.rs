//! Probability tables for count distributions (Poisson, negative binomial): the pmf on a window
//! of integers that holds all but ~1e-13 of the mass, with prefix sums so that the CDF and the
//! partial expectation E[(D - q)+] cost O(1) after a table lookup.

/// A count distribution stored as a table on `lo..lo + pmf.len()`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lattice {
    /// First integer of the window.
    lo: u64,
    /// P(D = lo + i), normalised to sum to 1 over the window.
    pmf: Vec<f64>,
    /// cdf[i] = P(D ≤ lo + i).
    cdf: Vec<f64>,
    /// upper_mean[i] = Σ_{k > lo + i} k P(D = k).
    upper_mean: Vec<f64>,
    /// Mean of the distribution.
    mean: f64,
}

/// The most points a count distribution's table may hold (8 MB per array). A distribution
/// whose mass is not covered within this many integers is refused by its constructor.
pub const MAX_TABLE_POINTS: usize = 1_000_000;

impl Lattice {
    /// Builds the table from a log-pmf, starting at `lo` and stopping once the upper tail beyond
    /// the mean holds less than 1e-14 of the mass; `None` when that takes more than
    /// [`MAX_TABLE_POINTS`] points (the table would not hold the distribution).
    pub(crate) fn from_log_pmf(lo: u64, mean: f64, log_pmf: impl Fn(f64) -> f64) -> Option<Self> {
        let max_len = MAX_TABLE_POINTS;
        let mut pmf = Vec::new();
        let mut total = 0.0;
        let mut k = lo;
        loop {
            let p = log_pmf(k as f64).exp();
            pmf.push(p);
            total += p;
            let past_mean = k as f64 > mean;
            if past_mean && p < 1e-16 * total.max(1e-300) && total > 0.0 {
                break;
            }
            if pmf.len() >= max_len {
                return None;
            }
            k += 1;
        }
        if total > 0.0 {
            for p in &mut pmf {
                *p /= total;
            }
        }
        let mut cdf = Vec::with_capacity(pmf.len());
        let mut acc = 0.0;
        for &p in &pmf {
            acc += p;
            cdf.push(acc.min(1.0));
        }
        let mut upper_mean = vec![0.0; pmf.len()];
        let mut tail = 0.0;
        for i in (0..pmf.len()).rev() {
            upper_mean[i] = tail;
            tail += (lo + i as u64) as f64 * pmf[i];
        }
        Some(Lattice {
            lo,
            pmf,
            cdf,
            upper_mean,
            mean: tail,
        })
    }

    /// Mean of the tabulated distribution.
    pub(crate) fn mean(&self) -> f64 {
        self.mean
    }

    /// Index of the largest table point ≤ x, or None if x is below the window.
    fn index_at(&self, x: f64) -> Option<usize> {
        if x.is_nan() || x < self.lo as f64 {
            return None;
        }
        let k = x.floor() - self.lo as f64;
        Some((k as usize).min(self.pmf.len() - 1))
    }

    /// P(D ≤ x).
    pub(crate) fn cdf(&self, x: f64) -> f64 {
        match self.index_at(x) {
            None => 0.0,
            Some(i) => self.cdf[i],
        }
    }

    /// Smallest integer k with P(D ≤ k) ≥ p.
    pub(crate) fn quantile(&self, p: f64) -> f64 {
        if p <= 0.0 {
            return self.lo as f64;
        }
        // Tolerate round-off in the cumulated sums.
        let target = p - 1e-12;
        let i = self.cdf.partition_point(|&c| c < target);
        (self.lo + i.min(self.pmf.len() - 1) as u64) as f64
    }

    /// E[(D - q)+].
    pub(crate) fn expected_shortage(&self, q: f64) -> f64 {
        match self.index_at(q) {
            None => self.mean - q,
            Some(i) => {
                let tail_prob = 1.0 - self.cdf[i];
                (self.upper_mean[i] - q * tail_prob).max(0.0)
            }
        }
    }

    /// E[D²] from the table.
    pub(crate) fn second_moment(&self) -> f64 {
        self.pmf
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let k = (self.lo + i as u64) as f64;
                k * k * p
            })
            .sum()
    }
}

/// ln Γ(x) for x > 0.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}
