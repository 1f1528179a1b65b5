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
    // buffers reused by every iteration: the loop allocates nothing
    let mut idx: Vec<usize> = (0..=n).collect();
    let mut sorted_pts: Vec<Vec<f64>> = pts.clone();
    let mut sorted_vals = vals.clone();
    let mut centroid = vec![0.0; n];
    let mut xr = vec![0.0; n];
    let mut xe = vec![0.0; n];
    let mut xc = vec![0.0; n];
    let along = |centroid: &[f64], worst: &[f64], t: f64, out: &mut [f64]| {
        for ((o, c), w) in out.iter_mut().zip(centroid).zip(worst) {
            *o = c + t * (c - w);
        }
    };
    while evals < max_evals {
        for (k, i) in idx.iter_mut().enumerate() {
            *i = k;
        }
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        for (k, &i) in idx.iter().enumerate() {
            sorted_pts[k].copy_from_slice(&pts[i]);
            sorted_vals[k] = vals[i];
        }
        std::mem::swap(&mut pts, &mut sorted_pts);
        std::mem::swap(&mut vals, &mut sorted_vals);
        if (vals[n] - vals[0]).abs() <= tol * (1.0 + vals[0].abs()) {
            break;
        }
        centroid.iter_mut().for_each(|c| *c = 0.0);
        for p in &pts[..n] {
            for (c, x) in centroid.iter_mut().zip(p) {
                *c += x / n as f64;
            }
        }
        along(&centroid, &pts[n], alpha, &mut xr);
        let fr = f(&xr);
        evals += 1;
        if fr < vals[0] {
            along(&centroid, &pts[n], gamma, &mut xe);
            let fe = f(&xe);
            evals += 1;
            if fe < fr {
                pts[n].copy_from_slice(&xe);
                vals[n] = fe;
            } else {
                pts[n].copy_from_slice(&xr);
                vals[n] = fr;
            }
        } else if fr < vals[n - 1] {
            pts[n].copy_from_slice(&xr);
            vals[n] = fr;
        } else {
            let t = if fr < vals[n] { rho } else { -rho };
            along(&centroid, &pts[n], t, &mut xc);
            let fc = f(&xc);
            evals += 1;
            if fc < vals[n].min(fr) {
                pts[n].copy_from_slice(&xc);
                vals[n] = fc;
            } else {
                let (head, rest) = pts.split_at_mut(1);
                for (i, p) in rest.iter_mut().enumerate() {
                    for (x, b) in p.iter_mut().zip(&head[0]) {
                        *x = b + sigma * (*x - b);
                    }
                    vals[i + 1] = f(p);
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
