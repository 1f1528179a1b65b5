//! A demand distribution given by forecast quantiles (e.g. q0.05 … q0.95), interpolated.
//!
//! The quantile function Q(p) is piecewise linear through the given points. Below the lowest
//! level it continues the first segment's slope down to level 0, clamped at zero demand. Above
//! the highest level p_n it has an exponential tail, Q(p) = v_n + θ ln((1 - p_n)/(1 - p)), with θ
//! chosen so that the density is continuous at v_n (θ = 0 when the last segment is flat: a point
//! mass). Everything the newsvendor needs (CDF, mean, E[(D - q)+]) is then exact in closed form.

use super::error::OrderingError;

/// An interpolated quantile forecast for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileDemand {
    /// Levels, starting with 0 (the extrapolated minimum), then the given levels.
    levels: Vec<f64>,
    /// Values at `levels`, non-decreasing, ≥ 0.
    values: Vec<f64>,
    /// Scale of the exponential upper tail.
    theta: f64,
}

impl QuantileDemand {
    /// Builds the distribution from at least two quantiles. `levels` must be strictly increasing
    /// inside (0, 1); `values` finite and non-decreasing. Negative values are clamped to 0
    /// (demand cannot be negative; forecasters with symmetric intervals produce them).
    pub fn new(levels: &[f64], values: &[f64]) -> Result<Self, OrderingError> {
        if values.len() != levels.len() {
            return Err(OrderingError::LengthMismatch {
                field: "quantile values".into(),
                expected: levels.len(),
                got: values.len(),
            });
        }
        if levels.len() < 2 {
            return Err(OrderingError::Invalid {
                field: "quantile levels".into(),
                reason: format!("need at least 2 quantiles, got {}", levels.len()),
            });
        }
        let mut prev = 0.0;
        for (i, &l) in levels.iter().enumerate() {
            if !(l > prev && l < 1.0) {
                return Err(OrderingError::BadQuantileLevel {
                    field: "quantile levels".into(),
                    index: i,
                    level: l,
                });
            }
            prev = l;
        }
        for (i, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                return Err(OrderingError::NotFinite {
                    field: format!("quantile q{}", levels[i]),
                    value: v,
                });
            }
            if i > 0 && v < values[i - 1] {
                return Err(OrderingError::QuantilesNotMonotone {
                    field: "quantile values".into(),
                    lower_level: levels[i - 1],
                    lower_value: values[i - 1],
                    level: levels[i],
                    value: v,
                });
            }
        }
        let v: Vec<f64> = values.iter().map(|x| x.max(0.0)).collect();
        let n = v.len();
        let slope0 = (v[1] - v[0]) / (levels[1] - levels[0]);
        let v0 = (v[0] - levels[0] * slope0).max(0.0);
        let slope_n = (v[n - 1] - v[n - 2]) / (levels[n - 1] - levels[n - 2]);
        let theta = (1.0 - levels[n - 1]) * slope_n;
        let mut lv = Vec::with_capacity(n + 1);
        lv.push(0.0);
        lv.extend_from_slice(levels);
        let mut vv = Vec::with_capacity(n + 1);
        vv.push(v0);
        vv.extend_from_slice(&v);
        Ok(QuantileDemand {
            levels: lv,
            values: vv,
            theta,
        })
    }

    /// Builds the distribution from samples (e.g. Monte Carlo sums), keeping `points` evenly
    /// spaced quantiles. Needs at least two samples; they must be finite.
    pub fn from_samples(samples: &mut [f64], points: usize) -> Result<Self, OrderingError> {
        if samples.len() < 2 {
            return Err(OrderingError::Invalid {
                field: "samples".into(),
                reason: "need at least 2 samples".into(),
            });
        }
        if let Some(bad) = samples.iter().find(|x| !x.is_finite()) {
            return Err(OrderingError::NotFinite {
                field: "samples".into(),
                value: *bad,
            });
        }
        samples.sort_by(f64::total_cmp);
        let m = points.max(2);
        let n = samples.len();
        let mut levels = Vec::with_capacity(m);
        let mut values = Vec::with_capacity(m);
        for i in 1..=m {
            let p = i as f64 / (m + 1) as f64;
            // Hazen plotting position: sample k (0-based) sits at level (k + 0.5) / n.
            let pos = (p * n as f64 - 0.5).clamp(0.0, (n - 1) as f64);
            let k = pos.floor() as usize;
            let frac = pos - k as f64;
            let v = if k + 1 < n {
                samples[k] + frac * (samples[k + 1] - samples[k])
            } else {
                samples[k]
            };
            levels.push(p);
            values.push(v);
        }
        Self::new(&levels, &values)
    }

    /// The given levels (without the extrapolated 0 level).
    pub fn levels(&self) -> &[f64] {
        &self.levels[1..]
    }

    /// The given values (clamped at 0).
    pub fn values(&self) -> &[f64] {
        &self.values[1..]
    }

    fn last(&self) -> (f64, f64) {
        let n = self.levels.len() - 1;
        (self.levels[n], self.values[n])
    }

    /// Q(p), the quantile function.
    pub fn quantile(&self, p: f64) -> f64 {
        let (pn, vn) = self.last();
        if p.is_nan() {
            return f64::NAN;
        }
        if p <= 0.0 {
            return self.values[0];
        }
        if p >= pn {
            if self.theta == 0.0 {
                return vn;
            }
            if p >= 1.0 {
                return f64::INFINITY;
            }
            return vn + self.theta * ((1.0 - pn) / (1.0 - p)).ln();
        }
        let j = self.levels.partition_point(|&l| l <= p) - 1;
        let (pa, pb) = (self.levels[j], self.levels[j + 1]);
        let (va, vb) = (self.values[j], self.values[j + 1]);
        va + (p - pa) / (pb - pa) * (vb - va)
    }

    /// P(D ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        let (pn, vn) = self.last();
        if x.is_nan() || x < self.values[0] {
            return 0.0;
        }
        if x >= vn {
            if self.theta == 0.0 {
                return 1.0;
            }
            return 1.0 - (1.0 - pn) * (-(x - vn) / self.theta).exp();
        }
        let j = self.values.partition_point(|&v| v <= x) - 1;
        let (pa, pb) = (self.levels[j], self.levels[j + 1]);
        let (va, vb) = (self.values[j], self.values[j + 1]);
        pa + (x - va) / (vb - va) * (pb - pa)
    }

    /// E[D].
    pub fn mean(&self) -> f64 {
        let (pn, vn) = self.last();
        let body: f64 = self
            .levels
            .windows(2)
            .zip(self.values.windows(2))
            .map(|(l, v)| (l[1] - l[0]) * 0.5 * (v[0] + v[1]))
            .sum();
        body + (1.0 - pn) * (vn + self.theta)
    }

    /// Var[D].
    pub fn variance(&self) -> f64 {
        let (pn, vn) = self.last();
        let body: f64 = self
            .levels
            .windows(2)
            .zip(self.values.windows(2))
            .map(|(l, v)| (l[1] - l[0]) * (v[0] * v[0] + v[0] * v[1] + v[1] * v[1]) / 3.0)
            .sum();
        let tail = (1.0 - pn) * (vn * vn + 2.0 * vn * self.theta + 2.0 * self.theta * self.theta);
        let m = self.mean();
        (body + tail - m * m).max(0.0)
    }

    /// E[(D - q)+], exact for the interpolated distribution.
    pub fn expected_shortage(&self, q: f64) -> f64 {
        let (pn, vn) = self.last();
        let mut total = 0.0;
        for (l, v) in self.levels.windows(2).zip(self.values.windows(2)) {
            let (pa, pb, va, vb) = (l[0], l[1], v[0], v[1]);
            if q <= va {
                total += (pb - pa) * (0.5 * (va + vb) - q);
            } else if q < vb {
                let p_star = pa + (q - va) / (vb - va) * (pb - pa);
                total += (pb - p_star) * (vb - q) * 0.5;
            }
        }
        total += if q <= vn {
            (1.0 - pn) * (vn - q + self.theta)
        } else if self.theta > 0.0 {
            (1.0 - pn) * (-(q - vn) / self.theta).exp() * self.theta
        } else {
            0.0
        };
        total
    }
}
