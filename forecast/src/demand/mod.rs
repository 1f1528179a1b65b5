//! Probabilistic demand forecasting per series (owned by issue #10).
