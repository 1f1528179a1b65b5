//! A small L-BFGS minimiser with a strong-Wolfe line search, for smooth low-dimensional
//! likelihoods (the models here have 2 to 4 parameters, optimised on the log scale).

/// Settings of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LbfgsOptions {
    /// Stop when the largest absolute gradient component is below this.
    pub gradient_tolerance: f64,
    /// Most iterations (line searches).
    pub max_iterations: usize,
    /// Pairs of correction vectors kept.
    pub memory: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions {
            gradient_tolerance: 1e-9,
            max_iterations: 500,
            memory: 8,
        }
    }
}

/// Where [`minimize`] stopped.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// Objective value there.
    pub value: f64,
    /// Iterations taken.
    pub iterations: usize,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm(a: &[f64]) -> f64 {
    a.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
}

/// Minimises `f` from `x0`. `f(x, grad)` returns the value and writes the gradient; it may
/// return a non-finite value for points outside its domain (treated as "too far" by the line
/// search). Returns `None` when `f(x0)` is not finite.
pub(crate) fn minimize<F>(f: F, x0: &[f64], opts: LbfgsOptions) -> Option<Minimum>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    minimize_until(f, x0, opts, || false)
}

/// [`minimize`] that also stops before an iteration when `stop()` is true (the caller then
/// discards the point).
pub(crate) fn minimize_until<F, S>(
    mut f: F,
    x0: &[f64],
    opts: LbfgsOptions,
    stop: S,
) -> Option<Minimum>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
    S: Fn() -> bool,
{
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho_hist: Vec<f64> = Vec::new();
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut iterations = 0;
    let mut stalls = 0;
    while iterations < opts.max_iterations && inf_norm(&g) > opts.gradient_tolerance && !stop() {
        iterations += 1;
        // Two-loop recursion: d = -H g.
        d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
        let k = s_hist.len();
        let mut alpha = vec![0.0; k];
        for i in (0..k).rev() {
            alpha[i] = rho_hist[i] * dot(&s_hist[i], &d);
            d.iter_mut()
                .zip(&y_hist[i])
                .for_each(|(di, yi)| *di -= alpha[i] * yi);
        }
        if k > 0 {
            let gamma = dot(&s_hist[k - 1], &y_hist[k - 1]) / dot(&y_hist[k - 1], &y_hist[k - 1]);
            d.iter_mut().for_each(|di| *di *= gamma);
        }
        for i in 0..k {
            let beta = rho_hist[i] * dot(&y_hist[i], &d);
            d.iter_mut()
                .zip(&s_hist[i])
                .for_each(|(di, si)| *di += (alpha[i] - beta) * si);
        }
        let mut slope = dot(&g, &d);
        if slope >= 0.0 || slope.is_nan() {
            // Not a descent direction: forget the curvature pairs, go downhill.
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            slope = dot(&g, &d);
        }
        let first_step = if k == 0 {
            (1.0 / inf_norm(&g)).min(1.0)
        } else {
            1.0
        };
        let search = line_search(
            &mut f, &x, fx, slope, &d, first_step, &mut x_new, &mut g_new,
        );
        let Some(fnew) = search.value else {
            // No decrease along d. Near a stationary point that is round-off: stop. Otherwise
            // retry once along the steepest descent before giving up.
            if s_hist.is_empty() || inf_norm(&g) < 1e-6 {
                break;
            }
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            continue;
        };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-16 * dot(&y, &y).max(f64::MIN_POSITIVE) {
            if s_hist.len() == opts.memory {
                s_hist.remove(0);
                y_hist.remove(0);
                rho_hist.remove(0);
            }
            rho_hist.push(1.0 / sy);
            s_hist.push(s);
            y_hist.push(y);
        }
        let decrease = fx - fnew;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        fx = fnew;
        // Two steps in a row that change the value only in its last digits: converged.
        if decrease <= 1e-13 * fx.abs().max(1.0) {
            stalls += 1;
            if stalls >= 2 {
                break;
            }
        } else {
            stalls = 0;
        }
    }
    Some(Minimum {
        x,
        value: fx,
        iterations,
    })
}

struct LineSearch {
    value: Option<f64>,
}

/// Strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6, with safeguarded
/// quadratic interpolation in the zoom). On success `x_new`/`g_new` hold the accepted point.
#[allow(clippy::too_many_arguments)]
fn line_search<F>(
    f: &mut F,
    x: &[f64],
    f0: f64,
    slope0: f64,
    d: &[f64],
    first_step: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> LineSearch
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    let mut eval = |step: f64, x_new: &mut [f64], g_new: &mut [f64]| -> (f64, f64) {
        x_new
            .iter_mut()
            .zip(x.iter().zip(d))
            .for_each(|(xn, (xi, di))| *xn = xi + step * di);
        let v = f(x_new, g_new);
        let slope = dot(g_new, d);
        if v.is_finite() && slope.is_finite() {
            (v, slope)
        } else {
            (f64::INFINITY, f64::NAN)
        }
    };
    // Bracketing phase.
    let (mut lo, mut f_lo, mut slope_lo) = (0.0, f0, slope0);
    let mut step = first_step;
    let mut prev_f = f0;
    let mut bracket = None;
    for i in 0..40 {
        let (v, s) = eval(step, x_new, g_new);
        if v > f0 + C1 * step * slope0 || (i > 0 && v >= prev_f) {
            bracket = Some((lo, f_lo, slope_lo, step, v));
            break;
        }
        if s.abs() <= -C2 * slope0 {
            return LineSearch { value: Some(v) };
        }
        if s >= 0.0 {
            bracket = Some((step, v, s, lo, f_lo));
            break;
        }
        lo = step;
        f_lo = v;
        slope_lo = s;
        prev_f = v;
        step *= 2.0;
    }
    let Some((mut a_lo, mut fa_lo, mut sa_lo, mut hi, mut f_hi)) = bracket else {
        // Kept going downhill for 40 doublings: accept the last point.
        let (v, _) = eval(lo, x_new, g_new);
        return LineSearch {
            value: v.is_finite().then_some(v),
        };
    };
    // Zoom phase.
    for _ in 0..30 {
        // Quadratic through (a_lo, f, slope) and (hi, f), kept well inside the bracket.
        let width = hi - a_lo;
        let curvature = (f_hi - fa_lo - sa_lo * width) / (width * width);
        let mut trial = if curvature.is_finite() && curvature > 0.0 && sa_lo.is_finite() {
            a_lo - sa_lo / (2.0 * curvature)
        } else {
            a_lo + 0.5 * width
        };
        let (lo_b, hi_b) = if a_lo < hi { (a_lo, hi) } else { (hi, a_lo) };
        let margin = 0.1 * (hi_b - lo_b);
        if !trial.is_finite() || trial <= lo_b + margin || trial >= hi_b - margin {
            trial = 0.5 * (lo_b + hi_b);
        }
        let (v, s) = eval(trial, x_new, g_new);
        if v > f0 + C1 * trial * slope0 || v >= fa_lo {
            hi = trial;
            f_hi = v;
        } else {
            if s.abs() <= -C2 * slope0 {
                return LineSearch { value: Some(v) };
            }
            if s * (hi - a_lo) >= 0.0 {
                hi = a_lo;
                f_hi = fa_lo;
            }
            a_lo = trial;
            fa_lo = v;
            sa_lo = s;
        }
        if (hi - a_lo).abs() < 1e-14 * a_lo.abs().max(1e-14) {
            break;
        }
    }
    // Zoom did not meet the curvature condition: accept the best point with sufficient decrease.
    if a_lo > 0.0 && fa_lo < f0 {
        let (v, _) = eval(a_lo, x_new, g_new);
        return LineSearch {
            value: v.is_finite().then_some(v),
        };
    }
    LineSearch { value: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rosenbrock valley, a classic hard case for line searches, is solved to 1e-6.
    #[test]
    fn rosenbrock_minimum() {
        let f = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
            g[0] = -2.0 * a - 400.0 * x[0] * b;
            g[1] = 200.0 * b;
            a * a + 100.0 * b * b
        };
        let m = minimize(f, &[-1.2, 1.0], LbfgsOptions::default());
        let m = m.unwrap_or_else(|| unreachable!("finite start"));
        assert!(
            (m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
    }
}
