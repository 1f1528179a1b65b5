//! Perishable ordering: newsvendor, order-up-to, alerts, simulation (issue #6).
