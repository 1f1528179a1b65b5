//! The delivery calendar: each operation, the cut-off, and expansion across month ends, leap
//! days and year ends. Each case goes through one helper, [`check`].
use milkrun_calendar::Date;
use milkrun_dairy::calendar::{
    deliveries, next_delivery_day, CutOff, DeliveryLine, Moment, Operation, OperationKind,
};
use milkrun_dairy::ids::{HouseholdId, OperationId, PackageId, ProductId, SubscriptionId};
use milkrun_dairy::subscription::{Subscription, Term, WeekdayPattern};
use milkrun_dairy::DairyError;
use proptest::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const MILK: ProductId = ProductId(1);
const SKIMMED: ProductId = ProductId(2);
const SUB: SubscriptionId = SubscriptionId(10);

fn d(s: &str) -> Result<Date, DairyError> {
    Date::parse_iso(s).map_err(|e| DairyError::Invalid {
        field: "test date",
        reason: e.to_string(),
    })
}

fn sub(
    start: &str,
    term: Term,
    quantity: u32,
    weekdays: WeekdayPattern,
) -> Result<Subscription, DairyError> {
    Subscription::new(
        SUB,
        HouseholdId(1),
        PackageId(1),
        d(start)?,
        term,
        quantity,
        weekdays,
    )
}

fn ops(kinds: &[OperationKind]) -> Vec<Operation> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| Operation {
            id: OperationId(i as i64 + 1),
            subscription: SUB,
            kind,
        })
        .collect()
}

/// Expands `s` with `kinds` over `from..=to` and compares `date product quantity` lines
/// (`+` marks an extra or make-up line).
fn check(
    s: &Subscription,
    kinds: &[OperationKind],
    from: &str,
    to: &str,
    expect: &[&str],
) -> TestResult {
    let got = deliveries(s, MILK, &ops(kinds), d(from)?, d(to)?)?;
    let got: Vec<String> = got
        .iter()
        .map(|x| {
            let mark = if x.line == DeliveryLine::Regular {
                ""
            } else {
                "+"
            };
            format!("{mark}{} p{} x{}", x.date, x.product.0, x.quantity)
        })
        .collect();
    assert_eq!(got, expect);
    Ok(())
}

/// A pause drops the days in its range; a prepaid count moves its end later.
#[test]
fn pause_range_moves_prepaid_end() -> TestResult {
    let s = sub("2028-02-27", Term::Prepaid(4), 1, WeekdayPattern::DAILY)?;
    let pause = OperationKind::Pause {
        from: d("2028-02-28")?,
        to: d("2028-03-01")?,
    };
    check(
        &s,
        &[pause],
        "2028-02-01",
        "2028-03-31",
        &[
            "2028-02-27 p1 x1",
            "2028-03-02 p1 x1",
            "2028-03-03 p1 x1",
            "2028-03-04 p1 x1",
        ],
    )
}

/// A skipped day of a dated term is lost: the end does not move.
#[test]
fn skip_one_day_of_a_dated_term() -> TestResult {
    let s = sub(
        "2028-02-27",
        Term::Until(d("2028-03-01")?),
        2,
        WeekdayPattern::DAILY,
    )?;
    check(
        &s,
        &[OperationKind::Skip {
            date: d("2028-02-29")?,
        }],
        "2028-02-27",
        "2028-03-10",
        &["2028-02-27 p1 x2", "2028-02-28 p1 x2", "2028-03-01 p1 x2"],
    )
}

/// A swap for one day changes that day only; a swap from a date on changes every later day;
/// where both cover a day, the later operation wins.
#[test]
fn swap_for_a_day_and_from_a_date_on() -> TestResult {
    let s = sub("2028-02-27", Term::Prepaid(6), 1, WeekdayPattern::DAILY)?;
    let day = OperationKind::Swap {
        product: SKIMMED,
        from: d("2028-02-28")?,
        until: Some(d("2028-02-28")?),
    };
    let on = OperationKind::Swap {
        product: ProductId(3),
        from: d("2028-03-01")?,
        until: None,
    };
    let again = OperationKind::Swap {
        product: SKIMMED,
        from: d("2028-03-02")?,
        until: Some(d("2028-03-02")?),
    };
    check(
        &s,
        &[day, on, again],
        "2028-02-27",
        "2028-03-31",
        &[
            "2028-02-27 p1 x1",
            "2028-02-28 p2 x1",
            "2028-02-29 p1 x1",
            "2028-03-01 p3 x1",
            "2028-03-02 p2 x1",
            "2028-03-03 p3 x1",
        ],
    )
}

/// Postponing a day of a dated term moves its delivery past the end, across the year end.
#[test]
fn postpone_extends_the_end_across_the_year() -> TestResult {
    let s = sub(
        "2028-12-29",
        Term::Until(d("2028-12-31")?),
        1,
        WeekdayPattern::DAILY,
    )?;
    check(
        &s,
        &[OperationKind::Postpone {
            date: d("2028-12-30")?,
        }],
        "2028-12-01",
        "2029-01-31",
        &["2028-12-29 p1 x1", "2028-12-31 p1 x1", "2029-01-01 p1 x1"],
    )?;
    // A postpone of a day that a skip already cancelled adds nothing.
    let skip = OperationKind::Skip {
        date: d("2028-12-30")?,
    };
    check(
        &s,
        &[
            skip,
            OperationKind::Postpone {
                date: d("2028-12-30")?,
            },
        ],
        "2028-12-01",
        "2029-01-31",
        &["2028-12-29 p1 x1", "2028-12-31 p1 x1"],
    )
}

/// A quantity change applies from its day on; the later change wins.
#[test]
fn change_quantity_from_a_date_on() -> TestResult {
    let s = sub("2028-02-27", Term::Prepaid(4), 1, WeekdayPattern::DAILY)?;
    let q3 = OperationKind::ChangeQuantity {
        from: d("2028-02-28")?,
        quantity: 3,
    };
    let q2 = OperationKind::ChangeQuantity {
        from: d("2028-03-01")?,
        quantity: 2,
    };
    check(
        &s,
        &[q3, q2],
        "2028-02-27",
        "2028-03-31",
        &[
            "2028-02-27 p1 x1",
            "2028-02-28 p1 x3",
            "2028-02-29 p1 x3",
            "2028-03-01 p1 x2",
        ],
    )
}

/// An extra one-off delivery is its own line and uses up no prepaid delivery, even on a
/// paused day.
#[test]
fn extra_one_off_delivery() -> TestResult {
    let s = sub("2028-02-27", Term::Prepaid(2), 1, WeekdayPattern::DAILY)?;
    let extra = OperationKind::Extra {
        date: d("2028-02-27")?,
        product: SKIMMED,
        quantity: 2,
    };
    let pause = OperationKind::Pause {
        from: d("2028-03-01")?,
        to: d("2028-03-01")?,
    };
    let extra2 = OperationKind::Extra {
        date: d("2028-03-01")?,
        product: MILK,
        quantity: 1,
    };
    check(
        &s,
        &[extra, pause, extra2],
        "2028-02-27",
        "2028-03-31",
        &[
            "2028-02-27 p1 x1",
            "+2028-02-27 p2 x2",
            "2028-02-28 p1 x1",
            "+2028-03-01 p1 x1",
        ],
    )
}

/// A Monday–Wednesday–Friday pattern crosses the leap day and the month end (2028-02-28 is a
/// Monday, 2028-02-29 a Tuesday).
#[test]
fn weekday_pattern_across_leap_day_and_month_end() -> TestResult {
    let s = sub(
        "2028-02-25",
        Term::Until(d("2028-03-06")?),
        1,
        WeekdayPattern::from_days(&[0, 2, 4])?,
    )?;
    check(
        &s,
        &[],
        "2028-02-01",
        "2028-03-31",
        &[
            "2028-02-25 p1 x1",
            "2028-02-28 p1 x1",
            "2028-03-01 p1 x1",
            "2028-03-03 p1 x1",
            "2028-03-06 p1 x1",
        ],
    )?;
    let leap = sub("2028-02-29", Term::Prepaid(2), 1, WeekdayPattern::DAILY)?;
    check(
        &leap,
        &[],
        "2028-02-29",
        "2028-02-29",
        &["2028-02-29 p1 x1"],
    )
}

/// A prepaid count runs out: later ranges are empty; a range that starts after the start
/// still counts the deliveries before it.
#[test]
fn prepaid_count_runs_out() -> TestResult {
    let s = sub("2028-12-30", Term::Prepaid(3), 1, WeekdayPattern::DAILY)?;
    check(
        &s,
        &[],
        "2028-12-31",
        "2029-01-31",
        &["2028-12-31 p1 x1", "2029-01-01 p1 x1"],
    )?;
    check(&s, &[], "2029-01-02", "2029-03-01", &[])?;
    // An extension (exception policy) adds one more at the end.
    check(
        &s,
        &[OperationKind::Extension],
        "2029-01-02",
        "2029-03-01",
        &["2029-01-02 p1 x1"],
    )
}

/// The next delivery day skips paused days; none is found once the count has run out.
#[test]
fn next_delivery_day_skips_pauses() -> TestResult {
    let s = sub("2028-02-27", Term::Prepaid(5), 1, WeekdayPattern::DAILY)?;
    let o = ops(&[OperationKind::Pause {
        from: d("2028-02-28")?,
        to: d("2028-02-29")?,
    }]);
    assert_eq!(
        next_delivery_day(&s, MILK, &o, d("2028-02-27")?)?,
        Some(d("2028-03-01")?)
    );
    assert_eq!(next_delivery_day(&s, MILK, &o, d("2028-03-31")?)?, None);
    Ok(())
}

/// A customer's change is accepted just before the cut-off and refused just after, with the
/// date from which it would apply; remedies cannot be requested by a customer.
#[test]
fn request_respects_the_cutoff() -> TestResult {
    let cut = CutOff::new(1, 20 * 3600)?;
    let skip = OperationKind::Skip {
        date: d("2028-03-01")?,
    };
    let before = Moment::new(d("2028-02-29")?, 20 * 3600 - 1)?;
    let after = Moment::new(d("2028-02-29")?, 20 * 3600)?;
    assert!(Operation::request(OperationId(1), SUB, skip, cut, before).is_ok());
    match Operation::request(OperationId(1), SUB, skip, cut, after) {
        Err(DairyError::LateChange { applies_from, .. }) => {
            assert_eq!(applies_from, d("2028-03-02")?)
        }
        other => panic!("expected a late change, got {other:?}"),
    }
    let pause = OperationKind::Pause {
        from: d("2028-03-01")?,
        to: d("2028-03-05")?,
    };
    assert!(Operation::request(OperationId(2), SUB, pause, cut, after).is_err());
    let extension = Operation::request(OperationId(3), SUB, OperationKind::Extension, cut, before);
    assert!(matches!(
        extension,
        Err(DairyError::Invalid {
            field: "operation.kind",
            ..
        })
    ));
    let bad = OperationKind::Pause {
        from: d("2028-03-05")?,
        to: d("2028-03-01")?,
    };
    assert!(matches!(
        Operation::request(OperationId(4), SUB, bad, cut, before),
        Err(DairyError::Invalid {
            field: "pause.to",
            ..
        })
    ));
    Ok(())
}

/// Reversed ranges and ranges too far from the start are refused, not walked.
#[test]
fn bad_ranges_are_refused() -> TestResult {
    let s = sub("2028-01-01", Term::Prepaid(3), 1, WeekdayPattern::DAILY)?;
    assert!(matches!(
        deliveries(&s, MILK, &[], d("2028-02-01")?, d("2028-01-01")?),
        Err(DairyError::Range { .. })
    ));
    assert!(matches!(
        deliveries(&s, MILK, &[], d("2028-01-01")?, d("2060-01-01")?),
        Err(DairyError::Range { .. })
    ));
    Ok(())
}

proptest! {
    /// Expanding a range in two halves gives the same deliveries as expanding it whole, for
    /// any pattern, term and pause.
    #[test]
    fn split_ranges_agree(bits in 1u8..128, prepaid in proptest::option::of(1u32..40),
                          len in 1i32..120, split in 0i32..120, pause_at in 0i32..60, pause_len in 0i32..10) {
        let start = Date::from_ymd(2028, 2, 10).unwrap_or(Date::EPOCH);
        let term = prepaid.map_or(Term::Until(start.add_days(len)), Term::Prepaid);
        let s = Subscription::new(SUB, HouseholdId(1), PackageId(1), start, term, 1,
            WeekdayPattern::from_bits(bits).map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let o = ops(&[OperationKind::Pause { from: start.add_days(pause_at), to: start.add_days(pause_at + pause_len) }]);
        let (a, c) = (start, start.add_days(150));
        let b = start.add_days(split.min(149));
        let whole = deliveries(&s, MILK, &o, a, c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut parts = deliveries(&s, MILK, &o, a, b).map_err(|e| TestCaseError::fail(e.to_string()))?;
        parts.extend(deliveries(&s, MILK, &o, b.add_days(1), c).map_err(|e| TestCaseError::fail(e.to_string()))?);
        prop_assert_eq!(&whole, &parts);
        if let Some(n) = prepaid {
            prop_assert!(whole.len() <= n as usize);
        }
    }
}
