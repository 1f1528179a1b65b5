//! Golden test: the shipped CDNOW log reproduces the published BG/NBD / Gamma-Gamma figures.

use std::fs::File;

use milkrun_forecast::customers::io::read_transactions_csv;
use milkrun_forecast::customers::{
    analyze, segment_customers, AnalysisOptions, ClvOptions, Date, SegmentOptions, Split,
};

fn cdnow_options() -> AnalysisOptions {
    AnalysisOptions {
        split: Split {
            calibration_start: Date::parse("1997-01-01"),
            calibration_end: Date::parse("1997-09-30").unwrap(),
            holdout_end: Date::parse("1998-06-30"),
        },
        clv: ClvOptions {
            months: 12,
            monthly_discount: 0.01,
            weeks_per_month: 4.345,
        },
        segments: SegmentOptions {
            segments: 4,
            seed: 42,
            restarts: 4,
            max_iterations: 300,
        },
    }
}

fn within(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

/// All 23,570 CDNOW customers, calibration 1997-01-01..1997-09-30, holdout to 1998-06-30:
/// BG/NBD, Gamma-Gamma, holdout purchases and mean CLV within 1 % of the published figures.
#[test]
fn cdnow_reproduces_published_fit() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../datasets/data/forecast/cdnow_transactions.csv"
    );
    let log = read_transactions_csv(File::open(path).unwrap()).unwrap();
    assert_eq!(log.amount_column, "dollar_value");
    let a = analyze(&log.transactions, &cdnow_options()).unwrap();
    let bg = a.bgnbd.params;
    let gg = a.gamma_gamma.params;
    let h = a.holdout.unwrap();
    eprintln!(
        "bg {bg:?} ll {} it {}",
        a.bgnbd.log_likelihood, a.bgnbd.iterations
    );
    eprintln!(
        "gg {gg:?} ll {} it {} n {}",
        a.gamma_gamma.log_likelihood, a.gamma_gamma.iterations, a.gamma_gamma.customers
    );
    eprintln!(
        "holdout {h:?} mean clv {} mean palive {}",
        a.mean_clv, a.mean_probability_alive
    );
    eprintln!("segments {:#?}", a.segment_table);
    assert_eq!(a.summaries.customers.len(), 23_570);
    assert!(within(bg.r, 0.2516, 0.01), "r {}", bg.r);
    assert!(within(bg.alpha, 4.789, 0.01), "alpha {}", bg.alpha);
    assert!(within(bg.a, 0.723, 0.01), "a {}", bg.a);
    assert!(within(bg.b, 2.161, 0.01), "b {}", bg.b);
    assert!(within(gg.p, 6.275, 0.01), "p {}", gg.p);
    assert!(within(gg.q, 3.625, 0.01), "q {}", gg.q);
    assert!(within(gg.v, 14.98, 0.01), "v {}", gg.v);
    assert!((h.weeks - 39.0).abs() < 1e-12);
    assert_eq!(h.actual_purchases, 19_684);
    assert!(
        within(h.predicted_purchases, 16_874.0, 0.01),
        "predicted {}",
        h.predicted_purchases
    );
    assert!(within(a.mean_clv, 32.59, 0.01), "mean clv {}", a.mean_clv);
    // Same seed, same segments on the full data set.
    let again = segment_customers(&a.summaries.customers, &cdnow_options().segments).unwrap();
    assert_eq!(again, a.segmentation);
}

/// Recommendations on the shipped bike-shop orders (customer = `bikeshop_name`, item =
/// `model`): each shop's last order is held out, co-occurrence learns from the rest, and its
/// hit rate at 5 and 10 is measured against recommending the most popular models. The figures
/// are printed (bench/README.md quotes them) and checked for what they are, not tuned: both
/// rates are computed over the same customers, and no threshold on which one wins.
#[test]
fn bike_sales_recommendation_hit_rate() {
    use milkrun_forecast::customers::io::{read_purchases_csv, PurchaseColumns};
    use milkrun_forecast::customers::recommend::hit_rate_leave_last_out;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../datasets/data/forecast/bike_sales_sample.csv"
    );
    let columns = PurchaseColumns {
        customer: "bikeshop_name",
        order: "order_id",
        date: "order_date",
        item: "model",
    };
    let log = read_purchases_csv(File::open(path).unwrap(), columns).unwrap();
    assert_eq!(log.purchases.len(), 2_466);
    assert_eq!(log.customer_names.len(), 30);
    assert_eq!(log.item_names.len(), 97);
    let rates = hit_rate_leave_last_out(&log.purchases, log.item_names.len(), &[5, 10]).unwrap();
    for r in &rates {
        eprintln!(
            "bike_sales leave-last-order-out k={}: customers {} (no new item {}, single order \
             {}), co-occurrence hit rate {:.3} ({} hits, {} slots filled by popularity), \
             most popular {:.3} ({} hits)",
            r.k,
            r.customers,
            r.no_new_item,
            r.single_order,
            r.cooccurrence(),
            r.cooccurrence_hits,
            r.filled_by_popularity,
            r.popular(),
            r.popular_hits
        );
        assert_eq!(r.customers + r.no_new_item + r.single_order, 30);
        assert!(r.customers > 0);
        assert!(r.cooccurrence_hits <= r.customers && r.popular_hits <= r.customers);
    }
    // The popular top 5 is a prefix of the top 10, so the baseline cannot hit fewer at 10.
    assert!(rates[1].popular_hits >= rates[0].popular_hits);
}
