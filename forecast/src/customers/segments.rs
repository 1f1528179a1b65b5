//! k-means customer segments (linfa-clustering) on standardised log RFM features, with labels
//! derived from the centroids' value ranks.

use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use super::transactions::CustomerSummary;
use super::CustomerError;

/// Segment index, ordered by value: 0 is the most valuable segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub u8);

/// Settings of [`segment_customers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Number of segments, 2..=6.
    pub segments: usize,
    /// Seed of the k-means initialisation RNG.
    pub seed: u64,
    /// k-means restarts (the best inertia wins).
    pub restarts: usize,
    /// Most Lloyd iterations per restart.
    pub max_iterations: u64,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions {
            segments: 4,
            seed: 42,
            restarts: 3,
            max_iterations: 300,
        }
    }
}

/// Customers' segments and the segments' centroids.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// The segment of each customer, in input order.
    pub assignment: Vec<SegmentId>,
    /// Per segment (by [`SegmentId`]): its label.
    pub labels: Vec<&'static str>,
    /// Per segment: centroid in standardised feature units
    /// [log weeks since last purchase, log(1 + repeat purchases), log(1 + mean spend)].
    pub centroids: Vec<[f64; 3]>,
}

/// Labels by value rank, for each supported number of segments.
fn labels_for(k: usize) -> Option<&'static [&'static str]> {
    Some(match k {
        2 => &["champions", "lapsed"],
        3 => &["champions", "at risk", "lapsed"],
        4 => &["champions", "loyal", "at risk", "lapsed"],
        5 => &["champions", "loyal", "promising", "at risk", "lapsed"],
        6 => &[
            "champions",
            "loyal",
            "promising",
            "needs attention",
            "at risk",
            "lapsed",
        ],
        _ => return None,
    })
}

/// The three standardised log features of each customer (row-major, n × 3).
fn features(customers: &[CustomerSummary]) -> Array2<f64> {
    let n = customers.len();
    let mut data = Array2::<f64>::zeros((n, 3));
    for (i, c) in customers.iter().enumerate() {
        data[[i, 0]] = c.weeks_since_last_purchase().ln_1p();
        data[[i, 1]] = f64::from(c.frequency).ln_1p();
        data[[i, 2]] = c.mean_spend.ln_1p();
    }
    for j in 0..3 {
        let col = data.column(j);
        let mean = col.sum() / n as f64;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        data.column_mut(j).mapv_inplace(|v| (v - mean) / sd);
    }
    data
}

/// Clusters customers with k-means (seeded, so the same input and seed give the same segments)
/// and orders the clusters by centroid value: −recency + frequency + monetary in standard
/// units. Segment 0 gets the first label ("champions"), the last one "lapsed".
pub fn segment_customers(
    customers: &[CustomerSummary],
    opts: &SegmentOptions,
) -> Result<Segmentation, CustomerError> {
    let labels = labels_for(opts.segments).ok_or(CustomerError::BadOption {
        option: "segments",
        reason: "must be between 2 and 6",
    })?;
    if customers.len() < opts.segments {
        return Err(CustomerError::BadOption {
            option: "segments",
            reason: "more segments than customers",
        });
    }
    let data = features(customers);
    let dataset = DatasetBase::from(data.clone());
    let rng = Xoshiro256Plus::seed_from_u64(opts.seed);
    let model = KMeans::params_with_rng(opts.segments, rng)
        .n_runs(opts.restarts.max(1))
        .max_n_iterations(opts.max_iterations)
        .tolerance(1e-4)
        .fit(&dataset)
        .map_err(|source| CustomerError::Clustering { source })?;
    let clusters = model.predict(&data);
    let centroids = model.centroids();
    let value = |k: usize| -centroids[[k, 0]] + centroids[[k, 1]] + centroids[[k, 2]];
    let mut order: Vec<usize> = (0..opts.segments).collect();
    order.sort_by(|&i, &j| value(j).total_cmp(&value(i)).then(i.cmp(&j)));
    let mut rank = vec![0_u8; opts.segments];
    for (r, &k) in order.iter().enumerate() {
        rank[k] = r as u8;
    }
    Ok(Segmentation {
        assignment: clusters.iter().map(|&k| SegmentId(rank[k])).collect(),
        labels: labels.to_vec(),
        centroids: order
            .iter()
            .map(|&k| [centroids[[k, 0]], centroids[[k, 1]], centroids[[k, 2]]])
            .collect(),
    })
}
