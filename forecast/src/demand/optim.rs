//! A small Nelder-Mead simplex minimiser (used by the ETS fit).

/// Minimises `f` from `start` with initial step `step` per coordinate; stops after `max_evals`
/// evaluations or when the simplex values agree within `tol`. Returns the best point and value.
pub fn nelder_mead(
    f: &mut dyn FnMut(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    max_evals: usize,
    tol: f64,
) -> (Vec<f64>, f64) {
    let n = start.len();
    let mut pts: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    pts.push(start.to_vec());
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step[i];
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| f(p)).collect();
    let mut evals = n + 1;
    let (alpha, gamma, rho, sigma) = (1.0, 2.0, 0.5, 0.5);
    while evals < max_evals {
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = idx.iter().map(|&i| pts[i].clone()).collect();
        vals = idx.iter().map(|&i| vals[i]).collect();
        if (vals[n] - vals[0]).abs() <= tol * (1.0 + vals[0].abs()) {
            break;
        }
        let mut centroid = vec![0.0; n];
        for p in &pts[..n] {
            for (c, x) in centroid.iter_mut().zip(p) {
                *c += x / n as f64;
            }
        }
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&pts[n])
                .map(|(c, w)| c + t * (c - w))
                .collect()
        };
        let xr = along(alpha);
        let fr = f(&xr);
        evals += 1;
        if fr < vals[0] {
            let xe = along(gamma);
            let fe = f(&xe);
            evals += 1;
            if fe < fr {
                pts[n] = xe;
                vals[n] = fe;
            } else {
                pts[n] = xr;
                vals[n] = fr;
            }
        } else if fr < vals[n - 1] {
            pts[n] = xr;
            vals[n] = fr;
        } else {
            let (xc, fc) = if fr < vals[n] {
                let x = along(rho);
                let v = f(&x);
                (x, v)
            } else {
                let x = along(-rho);
                let v = f(&x);
                (x, v)
            };
            evals += 1;
            if fc < vals[n].min(fr) {
                pts[n] = xc;
                vals[n] = fc;
            } else {
                for i in 1..=n {
                    let p: Vec<f64> = pts[0]
                        .iter()
                        .zip(&pts[i])
                        .map(|(b, x)| b + sigma * (x - b))
                        .collect();
                    vals[i] = f(&p);
                    pts[i] = p;
                    evals += 1;
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    (pts[best].clone(), vals[best])
}
