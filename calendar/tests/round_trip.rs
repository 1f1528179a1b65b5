//! Property tests: dates and their year-month-day agree both ways over the valid range.
use milkrun_calendar::{days_in_month, Date};
use proptest::prelude::*;

proptest! {
    /// Any day count in the valid range survives day count -> y-m-d -> day count, and its text
    /// parses back to it.
    #[test]
    fn days_to_ymd_and_back(days in Date::MIN.0..=Date::MAX.0) {
        let d = Date(days);
        let (y, m, dd) = d.ymd();
        prop_assert_eq!(Date::from_ymd(y, m, dd), Some(d));
        prop_assert_eq!(Date::parse_iso(&d.to_string()), Ok(d));
    }

    /// Any existing y-m-d in 1..=9999 survives y-m-d -> day count -> y-m-d.
    #[test]
    fn ymd_to_days_and_back(y in 1i32..=9999, m in 1u32..=12, day in 1u32..=31) {
        let d = Date::from_ymd(y, m, day);
        prop_assert_eq!(d.is_some(), day <= days_in_month(y, m));
        if let Some(d) = d {
            prop_assert_eq!(d.ymd(), (y, m, day));
            prop_assert!(d.is_valid());
        }
    }
}
