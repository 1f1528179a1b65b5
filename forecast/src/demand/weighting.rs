//! How the `Auto` combination weighs its candidates, chosen once per panel on the backtest
//! windows.
//!
//! A series' own few backtest windows are a noisy guide to its candidates' weights; the
//! panel's many are a steadier one, but may not suit every series. Four weightings (each
//! gives the candidates scores; the combination weighs them 1 / score²):
//! - [`Weighting::Own`]: each candidate's mean score over the series' own windows;
//! - [`Weighting::Best`]: the series' best candidate alone (selection);
//! - [`Weighting::Panel`]: each candidate's mean relative score over the panel (its score over
//!   the best candidate's, per series), the same weights for every series;
//! - [`Weighting::PanelBest`]: the candidate with the panel's best relative score alone.
//!
//! [`choose`] picks one for the panel by leave-one-window-out: for every window, the weights
//! come from the other windows (the panel's scores too) and the combined forecast is scored on
//! the window left out; the weighting with the lowest total wins, `Own` unless another is
//! strictly lower. No value of a window is seen by the weights it is scored with.
//! Generic over the candidate key so that the rules are tested apart from the models.

/// One way of weighing the candidates (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Each series by its own mean backtest scores.
    Own,
    /// Each series' best candidate alone.
    Best,
    /// Every series by the panel's mean relative scores.
    Panel,
    /// Every series by the panel's best candidate alone (among the series' candidates).
    PanelBest,
}

impl Weighting {
    /// Every weighting, the default first (it wins ties).
    pub const ALL: [Weighting; 4] = [
        Weighting::Own,
        Weighting::Best,
        Weighting::Panel,
        Weighting::PanelBest,
    ];

    /// Parses `own`, `best`, `panel` or `panel-best`.
    pub fn parse(s: &str) -> Option<Weighting> {
        Some(match s {
            "own" => Weighting::Own,
            "best" => Weighting::Best,
            "panel" => Weighting::Panel,
            "panel-best" => Weighting::PanelBest,
            _ => return None,
        })
    }

    /// The scores the combination weighs for a series with its own mean scores `own`, given
    /// the panel's relative scores `panel` ([`relative`]). Only the series' candidates are
    /// kept; where the panel knows none of them, the series' own scores decide.
    pub fn apply<K: Copy + PartialEq>(self, own: &[(K, f64)], panel: &[(K, f64)]) -> Vec<(K, f64)> {
        let best_of = |s: &[(K, f64)]| -> Vec<(K, f64)> {
            s.iter()
                .copied()
                .filter(|t| t.1.is_finite())
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .into_iter()
                .collect()
        };
        let from_panel: Vec<(K, f64)> = own
            .iter()
            .filter_map(|(c, _)| panel.iter().find(|p| p.0 == *c).copied())
            .collect();
        match self {
            Weighting::Own => own.to_vec(),
            Weighting::Best => best_of(own),
            Weighting::Panel if from_panel.is_empty() => own.to_vec(),
            Weighting::Panel => from_panel,
            Weighting::PanelBest if from_panel.is_empty() => best_of(own),
            Weighting::PanelBest => best_of(&from_panel),
        }
    }
}

/// The panel's relative score of each candidate: the mean over the series that scored it of
/// its score divided by the series' best score (1 for a candidate that is best everywhere).
/// Series whose best score is not positive and finite are left out.
pub fn relative<K: Copy + PartialEq>(per_series: &[Vec<(K, f64)>]) -> Vec<(K, f64)> {
    let mut totals: Vec<(K, f64, usize)> = Vec::new();
    for scores in per_series {
        let min = scores.iter().map(|t| t.1).fold(f64::INFINITY, f64::min);
        if !(min.is_finite() && min > 0.0) {
            continue;
        }
        for &(c, s) in scores {
            if !s.is_finite() {
                continue;
            }
            match totals.iter_mut().find(|t| t.0 == c) {
                Some(t) => {
                    t.1 += s / min;
                    t.2 += 1;
                }
                None => totals.push((c, s / min, 1)),
            }
        }
    }
    totals
        .into_iter()
        .map(|t| (t.0, t.1 / t.2.max(1) as f64))
        .collect()
}

/// One scored backtest window of a series: its index (0 = the latest) and each candidate's
/// score on it.
pub type WindowScores<K> = (usize, Vec<(K, f64)>);

/// Each candidate's mean score over the windows other than `skip`, keeping only the candidates
/// scored in all of them (empty when no other window is there).
pub fn mean_scores<K: Copy + PartialEq>(
    windows: &[WindowScores<K>],
    skip: Option<usize>,
) -> Vec<(K, f64)> {
    let mut totals: Vec<(K, f64, usize)> = Vec::new();
    let mut used = 0;
    for (w, scores) in windows {
        if Some(*w) == skip {
            continue;
        }
        used += 1;
        for &(c, s) in scores {
            match totals.iter_mut().find(|t| t.0 == c) {
                Some(t) => {
                    t.1 += s;
                    t.2 += 1;
                }
                None => totals.push((c, s, 1)),
            }
        }
    }
    totals
        .into_iter()
        .filter(|t| t.2 == used && t.1.is_finite())
        .map(|t| (t.0, t.1 / used as f64))
        .collect()
}

/// The weighting with the lowest leave-one-window-out score over the panel (see the module
/// doc), and the totals it was chosen on (in [`Weighting::ALL`]'s order). `panel[i]` is series
/// `i`'s scored windows; `eval(i, w, scores)` scores on window `w` of series `i` the combination
/// weighed by `scores` (`None` where it cannot). A (series, window) pair counts only where
/// every weighting could be scored on it; with none, `Own`.
pub fn choose<K: Copy + PartialEq>(
    panel: &[Vec<WindowScores<K>>],
    eval: impl Fn(usize, usize, &[(K, f64)]) -> Option<f64>,
) -> (Weighting, [f64; 4]) {
    let mut windows: Vec<usize> = panel.iter().flatten().map(|t| t.0).collect();
    windows.sort_unstable();
    windows.dedup();
    let mut totals = [0.0; 4];
    let mut counted = 0usize;
    for &w in &windows {
        let train: Vec<Vec<(K, f64)>> = panel.iter().map(|s| mean_scores(s, Some(w))).collect();
        let rel = relative(&train);
        for (i, series) in panel.iter().enumerate() {
            if train[i].is_empty() || !series.iter().any(|t| t.0 == w) {
                continue;
            }
            let mut row = [0.0; 4];
            let mut ok = true;
            for (k, weighting) in Weighting::ALL.iter().enumerate() {
                let scores = weighting.apply(&train[i], &rel);
                match eval(i, w, &scores).filter(|s| s.is_finite()) {
                    Some(s) => row[k] = s,
                    None => ok = false,
                }
            }
            if ok {
                for (t, r) in totals.iter_mut().zip(row) {
                    *t += r;
                }
                counted += 1;
            }
        }
    }
    if counted == 0 {
        return (Weighting::Own, totals);
    }
    let mut pick = 0;
    for k in 1..totals.len() {
        if totals[k] < totals[pick] {
            pick = k;
        }
    }
    (Weighting::ALL[pick], totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_keeps_the_series_candidates() {
        let own = [('a', 2.0), ('b', 1.0), ('c', 4.0)];
        let panel = [('a', 1.0), ('c', 1.5), ('d', 1.0)];
        assert_eq!(Weighting::Own.apply(&own, &panel), own.to_vec());
        assert_eq!(Weighting::Best.apply(&own, &panel), vec![('b', 1.0)]);
        assert_eq!(
            Weighting::Panel.apply(&own, &panel),
            vec![('a', 1.0), ('c', 1.5)]
        );
        assert_eq!(Weighting::PanelBest.apply(&own, &panel), vec![('a', 1.0)]);
        // a panel that knows none of the series' candidates leaves the series' own scores
        assert_eq!(Weighting::Panel.apply(&own, &[('z', 1.0)]), own.to_vec());
        assert_eq!(
            Weighting::PanelBest.apply(&own, &[('z', 1.0)]),
            vec![('b', 1.0)]
        );
        assert_eq!(Weighting::parse("panel-best"), Some(Weighting::PanelBest));
        assert_eq!(Weighting::parse("x"), None);
    }

    #[test]
    fn relative_scores_are_over_each_series_best() {
        let rel = relative(&[
            vec![('a', 1.0), ('b', 2.0)],
            vec![('a', 3.0), ('b', 1.5)],
            vec![('a', 0.0), ('b', 1.0)], // best score 0: left out
            vec![('a', f64::NAN), ('b', 1.0)],
        ]);
        let a = rel.iter().find(|t| t.0 == 'a').map(|t| t.1);
        let b = rel.iter().find(|t| t.0 == 'b').map(|t| t.1);
        assert_eq!(a, Some(1.5)); // (1 + 2) / 2; NaN skipped
        assert_eq!(b, Some((2.0 + 1.0 + 1.0) / 3.0));
    }

    #[test]
    fn mean_scores_skip_a_window_and_keep_complete_candidates() {
        let w = vec![
            (0, vec![('a', 1.0), ('b', 3.0)]),
            (1, vec![('a', 3.0)]),
            (2, vec![('a', 5.0), ('b', 1.0)]),
        ];
        assert_eq!(mean_scores(&w, None), vec![('a', 3.0)]);
        assert_eq!(mean_scores(&w, Some(1)), vec![('a', 3.0), ('b', 2.0)]);
        assert!(mean_scores(&w[..1], Some(0)).is_empty());
    }

    /// A panel where candidate 'a' wins every held-out window by far: selection beats the
    /// combination, and one where the windows disagree: the combination is kept.
    #[test]
    fn choose_by_left_out_windows() {
        let win = |a: f64, b: f64| vec![('a', a), ('b', b)];
        let panel: Vec<Vec<WindowScores<char>>> = (0..3)
            .map(|_| (0..3).map(|w| (w, win(1.0, 4.0))).collect())
            .collect();
        // the combination's score on a window: its weights' mix of the two candidates' scores
        let eval = |i: usize, w: usize, s: &[(char, f64)]| {
            let tot: f64 = s.iter().map(|t| 1.0 / (t.1 * t.1)).sum();
            let own = &panel[i].iter().find(|t| t.0 == w)?.1;
            Some(
                s.iter()
                    .map(|t| {
                        let v = own.iter().find(|o| o.0 == t.0).map_or(0.0, |o| o.1);
                        v / (t.1 * t.1) / tot
                    })
                    .sum(),
            )
        };
        let (pick, totals) = choose(&panel, eval);
        assert!(matches!(pick, Weighting::Best | Weighting::PanelBest));
        assert!(totals[1] < totals[0], "{totals:?}");

        // no window to leave out with another beside it: nothing counted, Own
        let single: Vec<Vec<WindowScores<char>>> = vec![vec![(0, win(1.0, 4.0))]];
        assert_eq!(choose(&single, |_, _, _| Some(1.0)).0, Weighting::Own);
        // ties keep Own
        assert_eq!(choose(&panel, |_, _, _| Some(1.0)).0, Weighting::Own);
    }
}
