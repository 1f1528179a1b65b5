//! Lag polynomials of a seasonal ARIMA model: mapping unconstrained search parameters to
//! stationary / invertible coefficients, and multiplying the non-seasonal and seasonal parts
//! into one sparse polynomial.

/// The largest partial autocorrelation a parameter maps to: keeps the roots away from the unit
/// circle, where the conditional sum of squares is flat and forecasts explode.
const MAX_PACF: f64 = 0.98;

/// Coefficients `c_1..c_k` of a stationary polynomial `1 - c_1 z - ... - c_k z^k` from `k`
/// unconstrained values: each is squashed to a partial autocorrelation in (-0.98, 0.98)
/// (`tanh`) and the Durbin-Levinson recursion turns those into coefficients (Barndorff-Nielsen
/// and Schou 1973, Jones 1980). Every real vector maps to a polynomial with all roots outside
/// the unit circle.
pub fn stationary(u: &[f64]) -> Vec<f64> {
    let k = u.len();
    let mut c = vec![0.0; k];
    let mut prev = vec![0.0; k];
    for j in 0..k {
        let r = MAX_PACF * u[j].tanh();
        prev[..j].copy_from_slice(&c[..j]);
        for i in 0..j {
            c[i] = prev[i] - r * prev[j - 1 - i];
        }
        c[j] = r;
    }
    c
}

/// The inverse of [`stationary`] for coefficients of a stationary polynomial: the partial
/// autocorrelations (step-down recursion), unsquashed with `atanh`. Used to start a search
/// from known coefficients; values at or past the bound are clamped.
pub fn unconstrained(c: &[f64]) -> Vec<f64> {
    let k = c.len();
    let mut a = c.to_vec();
    let mut u = vec![0.0; k];
    for j in (0..k).rev() {
        let r = a[j].clamp(-MAX_PACF + 1e-9, MAX_PACF - 1e-9);
        u[j] = (r / MAX_PACF).atanh();
        let denom = 1.0 - r * r;
        let prev: Vec<f64> = (0..j).map(|i| (a[i] + r * a[j - 1 - i]) / denom).collect();
        a[..j].copy_from_slice(&prev);
    }
    u
}

/// A sparse lag polynomial `sum_i coef_i B^lag_i` (the constant term is implied).
pub type Sparse = Vec<(usize, f64)>;

/// The product `(1 - sum a_i B^i)(1 - sum s_j B^{jm})` written as `1 - sum c_k B^k`, returned
/// as the nonzero `(k, c_k)`.
pub fn ar_product(a: &[f64], s: &[f64], m: usize) -> Sparse {
    product(a, s, m, -1.0)
}

/// The product `(1 + sum a_i B^i)(1 + sum s_j B^{jm})` written as `1 + sum c_k B^k`, returned
/// as the nonzero `(k, c_k)`.
pub fn ma_product(a: &[f64], s: &[f64], m: usize) -> Sparse {
    product(a, s, m, 1.0)
}

/// Shared body of [`ar_product`] and [`ma_product`]: `sign` is the sign of the non-constant
/// terms in both factors and in the result.
fn product(a: &[f64], s: &[f64], m: usize, sign: f64) -> Sparse {
    let len = a.len() + s.len() * m + 1;
    let mut full = vec![0.0; len];
    // factors with their signs: 1 + sign * a_i B^i
    let fa: Vec<(usize, f64)> = std::iter::once((0, 1.0))
        .chain(a.iter().enumerate().map(|(i, v)| (i + 1, sign * v)))
        .collect();
    let fs: Vec<(usize, f64)> = std::iter::once((0, 1.0))
        .chain(s.iter().enumerate().map(|(j, v)| ((j + 1) * m, sign * v)))
        .collect();
    for &(i, x) in &fa {
        for &(j, z) in &fs {
            full[i + j] += x * z;
        }
    }
    full.iter()
        .enumerate()
        .skip(1)
        .filter(|(_, v)| **v != 0.0)
        .map(|(k, v)| (k, sign * v))
        .collect()
}

/// `(1 - B)^d (1 - B^m)^D` written as `1 - sum c_k B^k`: the AR polynomial of the differences.
pub fn differencing(d: usize, big_d: usize, m: usize) -> Vec<f64> {
    let mut p = vec![1.0];
    let mut mul = |lag: usize| {
        let mut q = vec![0.0; p.len() + lag];
        for (i, v) in p.iter().enumerate() {
            q[i] += v;
            q[i + lag] -= v;
        }
        p = q;
    };
    for _ in 0..d {
        mul(1);
    }
    for _ in 0..big_d {
        mul(m);
    }
    // 1 - sum c_k B^k  =>  c_k = -p_k
    p.iter().skip(1).map(|v| -v).collect()
}

/// Applies `(1 - B)^d (1 - B^m)^D` to `y`: the differenced series, `d + D m` values shorter.
pub fn difference(y: &[f64], d: usize, big_d: usize, m: usize) -> Vec<f64> {
    let mut w = y.to_vec();
    for _ in 0..big_d {
        w = w.windows(m + 1).map(|x| x[m] - x[0]).collect();
    }
    for _ in 0..d {
        w = w.windows(2).map(|x| x[1] - x[0]).collect();
    }
    w
}
