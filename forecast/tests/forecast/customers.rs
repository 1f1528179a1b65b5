//! Customer-value tests on tiny named fixtures: summaries, the published sBG fit, bad input,
//! and segment stability.

use milkrun_forecast::customers::io::read_transactions_csv;
use milkrun_forecast::customers::{
    analyze, segment_customers, summarize, AnalysisOptions, ClvOptions, CustomerError, CustomerId,
    Date, Sbg, SegmentOptions, Split, Transaction,
};

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn tx(customer: u32, date: &str, amount: f64) -> Transaction {
    Transaction {
        customer: CustomerId(customer),
        date: day(date),
        amount,
    }
}

fn split(end: &str) -> Split {
    Split {
        calibration_start: Some(day("2024-01-01")),
        calibration_end: day(end),
        holdout_end: None,
    }
}

/// `two_buyers`: customer 7 buys twice on 01-01 (one purchase day, 30), again on 01-15 and
/// 01-29 (two repeats, mean 15), and once in the holdout; customer 3 buys once. Unsorted input.
#[test]
fn summaries_count_distinct_days_in_weeks() {
    let log = [
        tx(7, "2024-01-29", 20.0),
        tx(3, "2024-01-08", 5.0),
        tx(7, "2024-01-01", 10.0),
        tx(7, "2024-01-15", 10.0),
        tx(7, "2024-01-01", 20.0),
        tx(7, "2024-02-12", 99.0),
        tx(7, "2024-02-12", 1.0),
    ];
    let s = summarize(&log, &split("2024-02-05")).unwrap();
    assert_eq!(s.customers.len(), 2);
    assert_eq!(s.holdout_weeks, 1.0);
    let c3 = s.customers[0];
    assert_eq!(
        (c3.customer, c3.frequency, c3.recency_weeks, c3.age_weeks),
        (CustomerId(3), 0, 0.0, 4.0)
    );
    assert_eq!(c3.mean_repeat_spend, 0.0);
    let c7 = s.customers[1];
    assert_eq!(
        (c7.frequency, c7.recency_weeks, c7.age_weeks),
        (2, 4.0, 5.0)
    );
    assert_eq!((c7.mean_repeat_spend, c7.mean_spend), (15.0, 20.0));
    assert_eq!((c7.holdout_frequency, c7.holdout_spend), (1, 100.0));
    assert_eq!(c7.weeks_since_last_purchase(), 1.0);
}

/// A customer whose first purchase is in the holdout is counted apart, not modelled.
#[test]
fn holdout_only_customers_are_left_out() {
    let log = [tx(1, "2024-01-01", 1.0), tx(2, "2024-03-01", 1.0)];
    let s = summarize(&log, &split("2024-02-01")).unwrap();
    assert_eq!((s.customers.len(), s.holdout_only_customers), (1, 1));
}

/// Fader & Hardie (2007), 'regular' cohort: gamma = 0.704, delta = 1.182 within 1 %.
#[test]
fn sbg_reproduces_regular_cohort() {
    let fit = Sbg::fit(&[1000, 631, 468, 382, 326, 289, 262, 241]).unwrap();
    let (g, d) = (fit.params.gamma, fit.params.delta);
    assert!((g - 0.704).abs() < 0.01 * 0.704, "gamma {g}");
    assert!((d - 1.182).abs() < 0.01 * 1.182, "delta {d}");
    // Renewal probability rises with tenure (the survivors are the loyal ones).
    let r1 = fit.params.renewal_probability(1);
    let r7 = fit.params.renewal_probability(7);
    assert!((r1 - d / (g + d)).abs() < 1e-12 && r7 > r1);
    // Fitted survival tracks the data: S(7) ≈ 0.241.
    assert!((fit.params.survival(7) - 0.241).abs() < 0.01);
    // gamma < 1: the undiscounted remaining lifetime is infinite, the discounted one is finite.
    assert!(fit.params.expected_remaining_lifetime(7).is_none());
    let derl = fit
        .params
        .discounted_expected_residual_lifetime(7, 0.1)
        .unwrap();
    assert!(derl > 1.0 && derl < 11.0, "{derl}");
}

fn csv_error(text: &str) -> CustomerError {
    read_transactions_csv(text.as_bytes()).unwrap_err()
}

/// Bad CSV input is rejected with the line and field named.
#[test]
fn bad_csv_input_names_the_line() {
    let e = csv_error("customer_id,date,amount\n1,2024-01-01,5\n2,2024-01-02,-3\n");
    assert!(
        matches!(
            &e,
            CustomerError::BadField {
                line: 3,
                field: "amount",
                value,
            } if value == "-3"
        ),
        "{e}"
    );
    assert!(e.to_string().contains("line 3"));
    let e = csv_error("customer_id,date,amount\n1,2024-02-30,5\n");
    assert!(
        matches!(
            e,
            CustomerError::BadDate {
                line: 2,
                source: milkrun_calendar::DateError::Day { day: 30, .. }
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = csv_error("customer_id,day,amount\n1,2024-02-03,5\n");
    assert!(
        matches!(e, CustomerError::MissingColumn { column: "date", .. }),
        "{e}"
    );
    let e = csv_error("customer_id,date,price\n1,2024-02-03,5\n");
    assert!(
        matches!(
            e,
            CustomerError::MissingColumn {
                column: "amount",
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        csv_error("customer_id,date,amount\n"),
        CustomerError::EmptyLog
    ));
}

/// `dollar_value` stands in for a missing `amount` column (the shipped CDNOW file).
#[test]
fn dollar_value_is_the_amount_fallback() {
    let log = read_transactions_csv(
        "customer_id,date,number_of_cds,dollar_value\n9,19970101,2,11.5\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(log.amount_column, "dollar_value");
    assert_eq!(log.transactions, vec![tx(0, "1997-01-01", 11.5)]);
    assert_eq!((log.name_of(CustomerId(0)), log.line_of(0)), ("9", 2));
}

/// Library-level checks: negative amount, date before the calibration start, empty log.
#[test]
fn bad_transactions_are_rejected() {
    let e = summarize(
        &[tx(1, "2024-01-02", 1.0), tx(1, "2024-01-03", -1.0)],
        &split("2024-02-01"),
    )
    .unwrap_err();
    assert!(matches!(e, CustomerError::BadAmount { index: 1, .. }));
    assert_eq!(e.transaction_index(), Some(1));
    let e = summarize(&[tx(1, "2023-12-31", 1.0)], &split("2024-02-01")).unwrap_err();
    assert!(
        matches!(e, CustomerError::BeforeCalibrationStart { index: 0, .. }),
        "{e}"
    );
    assert!(matches!(
        summarize(&[], &split("2024-02-01")).unwrap_err(),
        CustomerError::EmptyLog
    ));
}

/// A synthetic log of 400 customers from a fixed linear congruential generator: buyers with
/// different rates, spends and lapse times.
fn synthetic_log() -> Vec<Transaction> {
    let mut state: u64 = 12_345;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let start = day("2024-01-01").days_since_epoch();
    let mut log = Vec::new();
    for c in 0..400_u32 {
        let first = start + (next() * 60.0) as i32;
        let gap = 3.0 + next() * 60.0;
        let life = next() * 400.0;
        let spend = 5.0 + next() * 80.0;
        let mut d = f64::from(first);
        while d < f64::from(first) + life && d < f64::from(start + 500) {
            log.push(Transaction {
                customer: CustomerId(c),
                date: Date::from_days_since_epoch(d as i32),
                amount: spend * (0.5 + next()),
            });
            d += gap * (0.2 + 1.6 * next());
        }
        if log.last().map(|t| t.customer) != Some(CustomerId(c)) {
            log.push(Transaction {
                customer: CustomerId(c),
                date: Date::from_days_since_epoch(first),
                amount: spend,
            });
        }
    }
    log
}

/// Same seed, same segments (and the pipeline runs end to end on the synthetic log); the labels
/// are ordered by value, so the "champions" buy more often and more recently than the "lapsed".
#[test]
fn segments_are_stable_for_a_seed() {
    let log = synthetic_log();
    let opts = AnalysisOptions {
        split: Split {
            calibration_start: None,
            calibration_end: day("2024-10-01"),
            holdout_end: None,
        },
        clv: ClvOptions::default(),
        segments: SegmentOptions {
            segments: 4,
            seed: 7,
            restarts: 3,
            max_iterations: 300,
        },
    };
    let a = analyze(&log, &opts).unwrap();
    let b = analyze(&log, &opts).unwrap();
    assert_eq!(a.segmentation, b.segmentation);
    assert_eq!(a.segment_table, b.segment_table);
    let again = segment_customers(&a.summaries.customers, &opts.segments).unwrap();
    assert_eq!(again, a.segmentation);
    let t = &a.segment_table;
    assert_eq!(
        t.iter().map(|s| s.label).collect::<Vec<_>>(),
        ["champions", "loyal", "at risk", "lapsed"]
    );
    assert_eq!(
        t.iter().map(|s| s.size).sum::<usize>(),
        a.summaries.customers.len()
    );
    assert!(t[0].mean_frequency > t[3].mean_frequency);
    assert!(t[0].mean_weeks_since_last_purchase < t[3].mean_weeks_since_last_purchase);
    assert!(a.holdout.is_some() && a.mean_clv > 0.0);
}
