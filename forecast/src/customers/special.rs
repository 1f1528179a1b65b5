//! Special functions for the customer models: log-gamma, digamma and the Gauss hypergeometric
//! series 2F1. Arguments here are positive reals (shape parameters, counts), so no reflection
//! for negative arguments is needed except in `ln_gamma` for completeness.

use std::f64::consts::PI;

/// Lanczos coefficients (g = 7, n = 9); relative error ~1e-15 for positive arguments.
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0 (reflection for x < 0.5).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // Γ(x)Γ(1-x) = π / sin(πx)
        return (PI / (PI * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The digamma function ψ(x) = d/dx ln Γ(x) for x > 0: recurrence up to x ≥ 10, then the
/// asymptotic series (absolute error < 1e-14).
pub(crate) fn digamma(x: f64) -> f64 {
    let mut x = x;
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0)))));
    acc + x.ln() - 0.5 * inv - series
}

/// Most terms the 2F1 series may take before giving up (z very close to 1).
const HYP2F1_MAX_TERMS: usize = 1_000_000;

/// The Gauss hypergeometric function 2F1(a, b; c; z) by its power series, for 0 ≤ z < 1 and
/// c > 0. Returns `None` when the series does not converge within the term limit or the
/// arguments are outside that domain.
///
/// The terms are summed until they stop changing the sum in double precision. With a, b, c > 0
/// every term is positive, so there is no cancellation; callers that can choose use Euler's
/// transformation 2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z) to keep terms small.
pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&z) || c <= 0.0 || !a.is_finite() || !b.is_finite() {
        return None;
    }
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..HYP2F1_MAX_TERMS {
        let nf = n as f64;
        term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        let next = sum + term;
        // Converged once the terms have started shrinking and no longer move the sum.
        let shrinking = ((a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z).abs() < 1.0;
        if !next.is_finite() {
            return None;
        }
        if shrinking && (term.abs() <= 1e-17 * next.abs() || term == 0.0) {
            return Some(next);
        }
        sum = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// ln Γ at integers and a half-integer, against factorials and √π.
    #[test]
    fn ln_gamma_known_values() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(ln_gamma(0.5), PI.sqrt().ln(), 1e-14));
        assert!(close(ln_gamma(101.0), 363.739_375_555_563_5, 1e-14));
        assert!(close(ln_gamma(0.1), 2.252_712_651_734_206, 1e-13));
    }

    /// ψ(1) = −γ_Euler, ψ(1/2) = −γ − 2 ln 2, and the derivative of ln Γ by finite differences.
    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-13));
        assert!(close(digamma(0.5), -euler - 2.0 * 2f64.ln(), 1e-13));
        for &x in &[0.2516, 2.161, 7.3, 42.0] {
            let h = 1e-5 * x;
            let fd = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(close(digamma(x), fd, 1e-7), "x={x}");
        }
    }

    /// 2F1 closed forms: 2F1(1,1;2;z) = −ln(1−z)/z and 2F1(a,b;b;z) = (1−z)^−a, and Euler's
    /// transformation agrees with the direct series.
    #[test]
    fn hyp2f1_closed_forms() {
        for &z in &[0.0_f64, 0.1, 0.5, 0.9, 0.99] {
            let expected = if z == 0.0 { 1.0 } else { -(1.0 - z).ln() / z };
            assert!(close(
                hyp2f1(1.0, 1.0, 2.0, z).unwrap_or(f64::NAN),
                expected,
                1e-13
            ));
            let p = hyp2f1(0.7, 3.2, 3.2, z).unwrap_or(f64::NAN);
            assert!(close(p, (1.0 - z).powf(-0.7), 1e-13));
        }
        let (a, b, c, z) = (5.25, 9.16, 10.88, 0.45);
        let direct = hyp2f1(a, b, c, z).unwrap_or(f64::NAN);
        let euler = (1.0 - z).powf(c - a - b) * hyp2f1(c - a, c - b, c, z).unwrap_or(f64::NAN);
        assert!(close(direct, euler, 1e-12));
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_none());
    }
}
