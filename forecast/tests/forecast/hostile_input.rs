//! Regression tests for the hostile inputs of issue "Ready to serve": each one reproduced
//! through the CLI, each now refused with an error naming the field, or answered correctly.
use milkrun_forecast::customers::{
    customer_lifetime_value, BgNbd, ClvOptions, CustomerError, CustomerId, CustomerSummary,
    GammaGamma,
};
use milkrun_forecast::demand::{
    forecast_series, io, plot, Date, ForecastConfig, ForecastError, Frequency, GapPolicy,
    ModelChoice, Series, MAX_HORIZON, MAX_SERIES_LEN,
};
use milkrun_forecast::ordering::io::read_daily_forecasts;
use milkrun_forecast::ordering::{newsvendor, Costs, Demand, OrderingError, MAX_COUNT_MEAN};

fn config_field(e: ForecastError) -> &'static str {
    match e {
        ForecastError::Config { field, .. } => field,
        other => panic!("expected a configuration error, got {other}"),
    }
}

/// `forecast --horizon 1000000000` tried to allocate 64 GB: the horizon is bounded and the
/// error names it, both in the configuration and in the future-values reader.
#[test]
fn horizon_is_bounded() {
    let cfg = ForecastConfig::new(1_000_000_000, vec![0.1, 0.5, 0.9]);
    assert_eq!(config_field(cfg.validate().unwrap_err()), "horizon");
    assert!(ForecastConfig::new(MAX_HORIZON, vec![0.5])
        .validate()
        .is_ok());
    let mut series = vec![Series::new(
        "a",
        Date::from_ymd(2024, 1, 1).unwrap(),
        Frequency::Daily,
        vec![1.0, 2.0],
    )
    .unwrap()];
    let e = io::read_future("series_id,date\n".as_bytes(), &mut series, 1_000_000_000);
    assert_eq!(config_field(e.unwrap_err()), "horizon");
}

/// `forecast --fill-gaps` on a series dated 0001-01-01 and 9999-12-31 hung filling 3.6 million
/// days: the filled length is bounded before anything is allocated.
#[test]
fn gap_fill_length_is_bounded() {
    let csv = "series_id,date,value\na,0001-01-01,1\na,0001-01-02,1\na,9999-12-31,2\n";
    let e = io::read_series(csv.as_bytes(), GapPolicy::Zero).unwrap_err();
    assert!(
        matches!(&e, ForecastError::TooLong { series, max, .. } if series == "a" && *max == MAX_SERIES_LEN),
        "{e}"
    );
    // A gap that stays within the bound is still filled.
    let csv = "series_id,date,value\na,2024-01-01,1\na,2024-01-02,3\na,2024-01-05,2\n";
    let s = io::read_series(csv.as_bytes(), GapPolicy::Zero).unwrap();
    assert_eq!(s[0].values(), &[1.0, 3.0, 0.0, 0.0, 2.0]);
}

/// Dates outside years 1..=9999 are refused by the reader, with the line.
#[test]
fn out_of_range_dates_are_refused() {
    let csv = "series_id,date,value\na,10000-01-01,1\n";
    let e = io::read_series(csv.as_bytes(), GapPolicy::Error).unwrap_err();
    assert!(matches!(e, ForecastError::BadDate { line: 2, .. }), "{e}");
}

/// An order plan with a Poisson mean of 1e13 grew to 5 GB and returned a negative safety
/// stock: count distributions are bounded (mean, table size) and the error names the field.
#[test]
fn count_distribution_parameters_are_bounded() {
    for e in [
        Demand::poisson(1e13).unwrap_err(),
        Demand::neg_binomial(1e13, 2.0).unwrap_err(),
    ] {
        assert!(
            matches!(&e, OrderingError::Invalid { field, .. } if field == "mean"),
            "{e}"
        );
    }
    // A tiny size with a large mean spreads over too many integers: refused, naming `size`.
    let e = Demand::neg_binomial(1e6, 1e-3).unwrap_err();
    assert!(
        matches!(&e, OrderingError::Invalid { field, .. } if field == "size"),
        "{e}"
    );
    // The largest accepted mean still gives a correct quantile above the mean at a high ratio.
    let d = Demand::poisson(MAX_COUNT_MEAN).unwrap();
    let costs = Costs::new(1.0, 9.0).unwrap();
    let out = newsvendor(&d, &costs);
    assert!(out.quantity > MAX_COUNT_MEAN, "{}", out.quantity);
    assert!(out.quantity < MAX_COUNT_MEAN + 5.0 * MAX_COUNT_MEAN.sqrt());
}

/// `newsvendor --mean -100` ordered -93: negative, NaN and infinite parameters are refused,
/// naming the field; a wide legal normal orders 0, never a negative quantity.
#[test]
fn newsvendor_refuses_bad_demand_parameters() {
    let field = |e: OrderingError| match e {
        OrderingError::Negative { field, .. } | OrderingError::NotFinite { field, .. } => field,
        other => panic!("unexpected {other}"),
    };
    assert_eq!(field(Demand::normal(-100.0, 5.0).unwrap_err()), "mean");
    assert_eq!(field(Demand::normal(f64::NAN, 5.0).unwrap_err()), "mean");
    assert_eq!(field(Demand::normal(10.0, -1.0).unwrap_err()), "sd");
    assert_eq!(
        field(Demand::normal(10.0, f64::INFINITY).unwrap_err()),
        "sd"
    );
    assert_eq!(field(Demand::poisson(-1.0).unwrap_err()), "mean");
    let wide = Demand::normal(1.0, 100.0).unwrap();
    let out = newsvendor(&wide, &Costs::new(9.0, 1.0).unwrap());
    assert_eq!(out.quantity, 0.0);
    // Costs near f64::MAX do not overflow the critical ratio into 0 or NaN.
    let c = Costs::new(f64::MAX, f64::MAX).unwrap();
    assert!((c.critical_ratio() - 0.5).abs() < 1e-12);
}

fn forecasts_error(text: &str) -> OrderingError {
    read_daily_forecasts(text.as_bytes()).unwrap_err()
}

/// Duplicate or unparsable forecast dates changed an order plan from 263 to 127: the reader
/// refuses repeated (series, date) rows, bad dates and missing days, naming line and field.
#[test]
fn order_plan_forecasts_refuse_duplicates_and_bad_dates() {
    let e =
        forecasts_error("series_id,date,mean\na,2024-01-01,5\na,2024-01-02,5\na,2024-01-01,6\n");
    assert!(
        matches!(&e, OrderingError::Input { line: 4, field, .. } if field == "date"),
        "{e}"
    );
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = forecasts_error("series_id,date,mean\na,2024-01-01,5\na,2024-13-01,5\n");
    assert!(
        matches!(&e, OrderingError::InputDate { line: 3, field, .. } if field == "date"),
        "{e}"
    );
    let e = forecasts_error("series_id,date,mean\na,2024-01-01,5\na,01/02/2024,5\n");
    assert!(
        matches!(&e, OrderingError::InputDate { line: 3, .. }),
        "{e}"
    );
    let e = forecasts_error("series_id,date,mean\na,2024-01-01,5\na,2024-01-03,5\n");
    assert!(
        matches!(&e, OrderingError::Input { line: 3, field, .. } if field == "date"),
        "{e}"
    );
    let e = forecasts_error("series_id,date,mean\na,2024-01-01,-5\n");
    assert!(
        matches!(&e, OrderingError::InputDemand { line: 2, field, .. } if field == "mean"),
        "{e}"
    );
    let e = forecasts_error("series_id,date,mean\na,2024-01-01,1e13\n");
    assert!(
        matches!(&e, OrderingError::InputDemand { line: 2, field, .. } if field == "mean"),
        "{e}"
    );
    let e = forecasts_error("series_id,date,mean\na,2024-01-01,five\n");
    assert!(
        matches!(&e, OrderingError::InputNumber { line: 2, field, .. } if field == "mean"),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some(), "{e}");
    // Legal input: rows in any order, series in order of first appearance.
    let ok = read_daily_forecasts(
        "series_id,date,mean\nb,2024-01-02,3\na,2024-01-01,5\nb,2024-01-01,4\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].id, "b");
    assert_eq!(ok[0].first_date, Date::from_ymd(2024, 1, 1).unwrap());
    assert_eq!(
        ok[0].daily.iter().map(Demand::mean).collect::<Vec<_>>(),
        vec![4.0, 3.0]
    );
}

fn customer() -> CustomerSummary {
    CustomerSummary {
        customer: CustomerId(0),
        frequency: 3,
        recency_weeks: 20.0,
        age_weeks: 38.0,
        mean_repeat_spend: 25.0,
        mean_spend: 25.0,
        holdout_frequency: 0,
        holdout_spend: 0.0,
    }
}

/// `customers --discount -1` gave CLV `inf`: the CLV rates are validated, naming the option.
#[test]
fn clv_rates_are_validated() {
    let bg = BgNbd {
        r: 0.2516,
        alpha: 4.789,
        a: 0.723,
        b: 2.161,
    };
    let gg = GammaGamma {
        p: 6.275,
        q: 3.625,
        v: 14.98,
    };
    let c = customer();
    let option = |opts: ClvOptions| match customer_lifetime_value(&bg, &gg, &c, &opts) {
        Err(CustomerError::BadOption { option, .. }) => option,
        other => panic!("expected a bad option, got {other:?}"),
    };
    let d = ClvOptions::default();
    for bad in [-1.0, -0.5, f64::NAN, f64::INFINITY, 2.0] {
        let opts = ClvOptions {
            monthly_discount: bad,
            ..d
        };
        assert_eq!(option(opts), "clv.monthly_discount");
    }
    let opts = ClvOptions {
        weeks_per_month: 0.0,
        ..d
    };
    assert_eq!(option(opts), "clv.weeks_per_month");
    let opts = ClvOptions {
        months: u32::MAX,
        ..d
    };
    assert_eq!(option(opts), "clv.months");
    let clv = customer_lifetime_value(&bg, &gg, &c, &d).unwrap();
    assert!(clv.is_finite() && clv > 0.0, "{clv}");
}

/// A length-2 series gave a mean below its q0.1: every model keeps the quantiles
/// non-decreasing and the mean between the lowest and highest quantile on short series.
#[test]
fn short_series_quantiles_hold_the_mean() {
    let start = Date::from_ymd(2024, 1, 1).unwrap();
    let histories: [&[f64]; 6] = [
        &[5.0, 7.0],
        &[7.0, 5.0],
        &[6.0, 7.0],
        &[1.0, 2.0, 3.0],
        &[3.0, 9.0, 4.0, 12.0],
        &[0.0, 12.0],
    ];
    for y in histories {
        for model in ["auto", "best", "snaive", "ets", "mstl", "ensemble"] {
            let s = Series::new("s", start, Frequency::Daily, y.to_vec()).unwrap();
            let mut cfg = ForecastConfig::new(5, vec![0.1, 0.5, 0.9]);
            cfg.model = ModelChoice::parse(model).unwrap();
            let f = forecast_series(&s, &cfg).unwrap();
            for (m, q) in f.mean.iter().zip(&f.quantiles) {
                assert!(q.windows(2).all(|w| w[0] <= w[1]), "{y:?} {model}: {q:?}");
                assert!(
                    q[0] <= *m + 1e-9 && *m <= q[2] + 1e-9,
                    "{y:?} {model}: mean {m} outside {q:?}"
                );
            }
        }
    }
}

/// Two products with non-ASCII names wrote the same plot file: file names are unique per id
/// and stable.
#[test]
fn plot_file_names_are_unique_per_series() {
    let ids = [
        "lait-é",
        "lait-è",
        "lait-_",
        "lait_é",
        "牛乳",
        "молоко",
        "a/b",
        "a\\b",
    ];
    let names: Vec<String> = ids.iter().map(|id| plot::file_name(id)).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{names:?}");
    for n in &names {
        assert!(n.ends_with(".svg"));
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{n}"
        );
    }
    assert_eq!(plot::file_name("lait-é"), names[0]);
    assert!(plot::file_name(&"x".repeat(10_000)).len() < 100);
}

fn review_params() -> milkrun_forecast::ordering::ReviewParams {
    milkrun_forecast::ordering::ReviewParams {
        lead_time_days: 1,
        review_days: 1,
        shelf_life_days: 3,
        costs: Costs::new(1.0, 3.0).unwrap(),
        pack: milkrun_forecast::ordering::PackRule::new(1.0, 0.0).unwrap(),
        monte_carlo: milkrun_forecast::ordering::MonteCarlo::default(),
    }
}

/// Day counts from input (lead time, shelf life, a lot's age) overflowed `u32` sums and sized
/// allocations: each is bounded by `MAX_PLAN_DAYS`, the error naming the field; stock
/// quantities whose sum overflows to infinity are refused.
#[test]
fn ordering_day_counts_and_stock_totals_are_bounded() {
    use milkrun_forecast::ordering::{review, Incoming, Lot, MAX_PLAN_DAYS};
    let daily = vec![Demand::normal(10.0, 2.0).unwrap(); 8];
    let invalid_field = |e: OrderingError| match e {
        OrderingError::Invalid { field, .. } | OrderingError::NotFinite { field, .. } => field,
        other => panic!("unexpected {other}"),
    };
    let mut p = review_params();
    p.lead_time_days = u32::MAX;
    let e = review(&daily, &[], &[], &p).unwrap_err();
    assert_eq!(invalid_field(e), "lead_time_days");
    let mut p = review_params();
    p.shelf_life_days = MAX_PLAN_DAYS + 1;
    let e = review(&daily, &[], &[], &p).unwrap_err();
    assert_eq!(invalid_field(e), "shelf_life_days");
    let late = Incoming {
        quantity: 5.0,
        arrives_in_days: u32::MAX,
        sellable_days: u32::MAX,
    };
    let e = review(&daily, &[], &[late], &review_params()).unwrap_err();
    assert_eq!(invalid_field(e), "on_order[0].sellable_days");
    let huge = Lot {
        quantity: f64::MAX,
        sellable_days: 2,
    };
    let e = review(&daily, &[huge, huge], &[], &review_params()).unwrap_err();
    assert_eq!(invalid_field(e), "on_hand + on_order total quantity");
    // Legal input still decides: one huge lot that outlives the cover window needs no order.
    let lasting = Lot {
        quantity: f64::MAX,
        sellable_days: 30,
    };
    let d = review(&daily, &[lasting], &[], &review_params()).unwrap();
    assert_eq!(d.order_quantity, 0.0);
    assert!(d.usable_position.is_finite() && d.safety_stock.is_finite());
}
