//! Small text helpers shared by the page, the charts and the summary: HTML escaping, dates as
//! axis labels, numbers as people read them.
use milkrun_calendar::Date;

/// `text` with `& < > " '` replaced by entities, safe inside HTML text and quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// An axis label for a `YYYY-MM-DD` date: weekday and day of month (`Mon 02`). A text that is
/// not such a date is returned unchanged (at most 16 characters), so a bad date shows as what
/// it is rather than as a wrong day.
pub fn day_label(date: &str) -> String {
    match Date::parse_iso(date) {
        Ok(d) => {
            let (_, _, day) = d.ymd();
            format!("{} {day:02}", WEEKDAYS[d.weekday() as usize % 7])
        }
        Err(_) => date.chars().take(16).collect(),
    }
}

/// A share as a percentage with one decimal (`0.9734` → `97.3%`); `–` when not finite.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// A number with `decimals` decimals; `–` when not finite.
pub fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "–".into()
    }
}

/// Cents as money with two decimals (`12345` → `123.45`, `-5` → `-0.05`).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates become weekday and day of month; 2026-03-02 is a Monday, 2024-02-29 a Thursday;
    /// anything else is shown as given.
    #[test]
    fn day_labels() {
        assert_eq!(day_label("2026-03-02"), "Mon 02");
        assert_eq!(day_label("2026-03-08"), "Sun 08");
        assert_eq!(day_label("2024-02-29"), "Thu 29");
        assert_eq!(day_label("2023-02-29"), "2023-02-29");
        assert_eq!(day_label("total"), "total");
    }

    /// Every character that could open a tag or leave an attribute is replaced.
    #[test]
    fn escaping_and_numbers() {
        assert_eq!(
            esc(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(pct(0.97345), "97.3%");
        assert_eq!(pct(f64::NAN), "–");
        assert_eq!(num(1.234, 2), "1.23");
        assert_eq!(money(12_345), "123.45");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(i64::MIN), "-92233720368547758.08");
    }
}
