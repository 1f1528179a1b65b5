//! A legend drawn with plotters' elements beside a plot rather than on it (plotters' own series
//! legend is clipped to the plotting area, where it hides lines and points).
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How an entry is marked.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A dot.
    Dot(RGBColor),
    /// A black triangle (a station).
    Triangle,
}

const ROW_PX: i32 = 18;
const MARK_W: i32 = 24;

/// `label` cut to `max_chars` characters, with `…` when cut.
fn cut(label: &str, max_chars: usize) -> String {
    if label.chars().count() <= max_chars {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Draws `entries` in a framed box whose top-left corner is `at` (pixels in `area`), each
/// label cut to `max_chars` characters so the box keeps to the room it was given.
pub fn draw(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    at: (i32, i32),
    entries: &[(String, Mark)],
    max_chars: usize,
) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let entries: Vec<(String, Mark)> = entries
        .iter()
        .map(|(l, m)| (cut(l, max_chars), *m))
        .collect();
    let longest = entries
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let w = 8 + MARK_W + 8 + (longest as i32) * 7 + 8;
    let h = 6 + ROW_PX * entries.len() as i32 + 2;
    let (x0, y0) = at;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        WHITE.filled(),
    ))
    .map_err(|e| e.to_string())?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        RGBColor(160, 160, 160).stroke_width(1),
    ))
    .map_err(|e| e.to_string())?;
    let text =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (label, mark)) in entries.iter().enumerate() {
        let y = y0 + 6 + ROW_PX * i as i32 + ROW_PX / 2;
        let (a, b) = (x0 + 8, x0 + 8 + MARK_W);
        let r = match *mark {
            Mark::Line(c) => area.draw(&PathElement::new(vec![(a, y), (b, y)], c.stroke_width(2))),
            Mark::Dashed(c) => area
                .draw(&PathElement::new(
                    vec![(a, y), (a + 9, y)],
                    c.stroke_width(2),
                ))
                .and_then(|_| {
                    area.draw(&PathElement::new(
                        vec![(a + 15, y), (b, y)],
                        c.stroke_width(2),
                    ))
                }),
            Mark::Dot(c) => area.draw(&Circle::new(((a + b) / 2, y), 4, c.filled())),
            Mark::Triangle => area.draw(&TriangleMarker::new(((a + b) / 2, y), 7, BLACK.filled())),
        };
        r.map_err(|e| e.to_string())?;
        area.draw(&Text::new(label.clone(), (b + 8, y), text.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
