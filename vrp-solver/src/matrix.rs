//! A dense square matrix stored flat in row-major order.

use crate::error::ProblemError;

/// A dense `n × n` matrix stored as one `Vec<T>` indexed `i * n + j`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<T> {
    n: usize,
    data: Vec<T>,
}

impl<T: Copy> Matrix<T> {
    /// Wraps a row-major vector of `n * n` values.
    ///
    /// Returns [`ProblemError::MatrixSize`] when `data.len() != n * n`.
    pub fn new(name: &'static str, n: usize, data: Vec<T>) -> Result<Self, ProblemError> {
        if n.checked_mul(n) != Some(data.len()) {
            return Err(ProblemError::MatrixSize {
                matrix: name,
                expected: n.saturating_mul(n),
                found: data.len(),
            });
        }
        Ok(Self { n, data })
    }

    /// Builds a matrix from a function of (row, column).
    pub fn from_fn(n: usize, f: impl Fn(usize, usize) -> T) -> Self {
        let mut data = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                data.push(f(i, j));
            }
        }
        Self { n, data }
    }

    /// Number of rows (equal to the number of columns).
    #[inline]
    pub fn size(&self) -> usize {
        self.n
    }

    /// The value at row `i`, column `j`.
    ///
    /// # Panics
    /// Panics when `i` or `j` is out of range; the solver only indexes with
    /// locations validated against the matrix size.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> T {
        self.data[i * self.n + j]
    }

    /// Row `i` as a slice.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// The transposed matrix (column `j` becomes row `j`), built tile by
    /// tile so that both sides are read and written in cache-sized blocks.
    pub(crate) fn transposed(&self) -> Self {
        let n = self.n;
        let mut data = self.data.clone();
        const TILE: usize = 64;
        for i0 in (0..n).step_by(TILE) {
            for j0 in (0..n).step_by(TILE) {
                for i in i0..(i0 + TILE).min(n) {
                    for j in j0..(j0 + TILE).min(n) {
                        data[j * n + i] = self.data[i * n + j];
                    }
                }
            }
        }
        Self { n, data }
    }
}

impl<T: Copy + PartialEq> Matrix<T> {
    /// True when the value at `(i, j)` equals the one at `(j, i)` everywhere
    /// (checked tile by tile, stopping at the first difference).
    pub(crate) fn is_symmetric(&self) -> bool {
        let n = self.n;
        const TILE: usize = 64;
        for i0 in (0..n).step_by(TILE) {
            for j0 in (i0..n).step_by(TILE) {
                for i in i0..(i0 + TILE).min(n) {
                    for j in j0.max(i + 1)..(j0 + TILE).min(n) {
                        if self.data[i * n + j] != self.data[j * n + i] {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }
}

/// How a float matrix is turned into integers by [`Matrix::from_f64_scaled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Nearest integer (ties away from zero).
    Nearest,
    /// Smallest integer not below the value.
    Up,
}

impl Matrix<i64> {
    /// Converts a row-major float matrix to integers: each value is multiplied
    /// by `scale` and rounded. NaN, infinite or negative values are rejected
    /// with an error naming the cell.
    pub fn from_f64_scaled(
        name: &'static str,
        n: usize,
        data: &[f64],
        scale: f64,
        rounding: Rounding,
    ) -> Result<Self, ProblemError> {
        if n.checked_mul(n) != Some(data.len()) {
            return Err(ProblemError::MatrixSize {
                matrix: name,
                expected: n.saturating_mul(n),
                found: data.len(),
            });
        }
        let mut out = Vec::with_capacity(data.len());
        for (k, &v) in data.iter().enumerate() {
            if !v.is_finite() || v < 0.0 {
                return Err(ProblemError::MatrixValue {
                    matrix: name,
                    row: k / n.max(1),
                    col: k % n.max(1),
                    value: v,
                });
            }
            let x = v * scale;
            let r = match rounding {
                Rounding::Nearest => x.round(),
                Rounding::Up => (x - 1e-9).ceil().max(0.0),
            };
            out.push(r as i64);
        }
        Ok(Self { n, data: out })
    }
}

#[cfg(test)]
impl Matrix<i64> {
    /// Test fixture: `n` random points in a `side` x `side` square and their rounded
    /// Euclidean distances.
    pub(crate) fn random_euclidean(rng: &mut crate::rng::Rng, n: usize, side: usize) -> Self {
        let pts: Vec<(i64, i64)> = (0..n)
            .map(|_| (rng.below(side) as i64, rng.below(side) as i64))
            .collect();
        Self::from_fn(n, |i, j| {
            let (a, b) = (pts[i], pts[j]);
            (((a.0 - b.0).pow(2) + (a.1 - b.1).pow(2)) as f64)
                .sqrt()
                .round() as i64
        })
    }

    /// Test fixture: this matrix with a one-way detour of 0-39 added to about a third of its
    /// off-diagonal entries (an asymmetric matrix).
    pub(crate) fn with_one_way_detours(&self, rng: &mut crate::rng::Rng) -> Self {
        let n = self.n;
        let extra: Vec<i64> = (0..n * n)
            .map(|_| {
                if rng.chance(0.3) {
                    rng.below(40) as i64
                } else {
                    0
                }
            })
            .collect();
        Self::from_fn(n, |i, j| {
            self.get(i, j) + if i == j { 0 } else { extra[i * n + j] }
        })
    }
}
