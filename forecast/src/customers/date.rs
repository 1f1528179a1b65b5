//! The civil date of a transaction: `milkrun_calendar::Date`, re-exported so that
//! `customers::Date` keeps its path.
pub use milkrun_calendar::Date;
