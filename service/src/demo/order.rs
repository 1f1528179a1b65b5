//! Step 5: tomorrow's order. A seeded two-year daily history of the station
//! ([`milkrun_datasets::history`]) is forecast by [`milkrun_forecast::demand`] (automatic model
//! choice) and ordered by the perishable periodic-review newsvendor of
//! [`milkrun_forecast::ordering`] for a 2-day shelf life (ordered tonight, delivered before the
//! morning round: lead time 0, daily review). The last 8 weeks are replayed day by day with that
//! policy and with the baseline "order what sold on the same weekday last week".

use milkrun_datasets::history::{generate_history, History, HistorySpec};
use milkrun_forecast::demand::plot::svg_plot;
use milkrun_forecast::demand::{forecast_series, Date, ForecastConfig, Frequency, Series};
use milkrun_forecast::ordering::{
    review, simulate, Costs, DemandModelForecaster, LastSeasonPolicy, MonteCarlo, NewsvendorPolicy,
    PackRule, ReviewParams, SimParams, SimReport,
};

/// Days a bottle can be sold after delivery.
pub const SHELF_LIFE_DAYS: u32 = 2;
/// Days replayed (8 weeks).
pub const REPLAY_DAYS: usize = 56;
/// Days of history each daily refit of the forecast sees (bounds the replay's cost).
pub const FIT_HISTORY_DAYS: usize = 182;

/// One product's order and replay.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductOrder {
    /// Product name.
    pub product: String,
    /// Bottles to order for tomorrow.
    pub quantity: f64,
    /// Forecast mean demand tomorrow.
    pub forecast_mean: f64,
    /// Safety stock of tomorrow's order.
    pub safety_stock: f64,
    /// Bottles still sellable tomorrow, left from the replay's last day.
    pub on_hand: f64,
    /// Replay of our policy.
    pub ours: SimReport,
    /// Replay of the baseline.
    pub baseline: SimReport,
}

/// Tomorrow's order and the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordering {
    /// The generated history.
    pub history: History,
    /// Per product.
    pub products: Vec<ProductOrder>,
    /// Tomorrow, civil date.
    pub tomorrow: (i32, u32, u32),
    /// Forecast plot of the first product (SVG).
    pub plot_svg: String,
    /// The model the automatic choice picked for the plotted product.
    pub plot_model: String,
}

/// Waste and fill rate of a set of replays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    /// Wasted / received.
    pub waste_rate: f64,
    /// Sold / demand.
    pub fill_rate: f64,
    /// Overage x wasted + underage x short.
    pub cost: f64,
}

/// Sums replays over products.
pub fn totals<'a>(reports: impl Iterator<Item = &'a SimReport>) -> Totals {
    let (mut w, mut r, mut s, mut d, mut c) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for x in reports {
        w += x.wasted;
        r += x.received;
        s += x.sold;
        d += x.demand;
        c += x.total_cost;
    }
    Totals {
        waste_rate: if r > 0.0 { w / r } else { 0.0 },
        fill_rate: if d > 0.0 { s / d } else { 1.0 },
        cost: c,
    }
}

/// The unit economics: a bottle costs the station 0.90, sells for 1.60, is worth nothing
/// once expired, and a missed subscriber delivery costs 1.00 of goodwill on top of the margin.
pub fn costs() -> anyhow::Result<Costs> {
    Ok(Costs::from_prices(0.90, 1.60, 0.0, 1.00)?)
}

fn levels() -> Vec<f64> {
    vec![
        0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975,
    ]
}

fn product_order(
    name: &str,
    y: &[f64],
    start: Date,
    seed: u64,
    costs: Costs,
) -> anyhow::Result<ProductOrder> {
    let mut config = ForecastConfig::new(1, levels());
    config.max_history = Some(FIT_HISTORY_DAYS);
    config.seed = seed;
    let forecaster = DemandModelForecaster {
        start,
        freq: Frequency::Daily,
        config,
    };
    let monte_carlo = MonteCarlo {
        seed,
        ..MonteCarlo::default()
    };
    let params = SimParams {
        lead_time_days: 0,
        review_days: 1,
        shelf_life_days: SHELF_LIFE_DAYS,
        costs,
        warmup_days: 7,
    };
    let start_day = y.len().saturating_sub(REPLAY_DAYS);
    let mut ours = NewsvendorPolicy::new(
        "ours: forecast + perishable newsvendor",
        |h: &[f64], n| forecaster.forecast(h, n),
        PackRule::units(),
        monte_carlo,
    );
    let ours_report = simulate(y, start_day, &params, &mut ours)?;
    let baseline_report = simulate(y, start_day, &params, &mut LastSeasonPolicy { season: 7 })?;
    let review_params = ReviewParams {
        lead_time_days: 0,
        review_days: 1,
        shelf_life_days: SHELF_LIFE_DAYS,
        costs,
        pack: PackRule::units(),
        monte_carlo,
    };
    let daily = forecaster.forecast(y, review_params.life_days())?;
    // Tomorrow's order nets out what our policy's replay leaves on the shelf tonight.
    let decision = review(&daily, &ours_report.end_stock, &[], &review_params)?;
    Ok(ProductOrder {
        product: name.to_string(),
        quantity: decision.order_quantity,
        forecast_mean: daily.first().map_or(0.0, |d| d.mean()),
        safety_stock: decision.safety_stock,
        on_hand: ours_report.end_stock.iter().map(|l| l.quantity).sum(),
        ours: ours_report,
        baseline: baseline_report,
    })
}

/// Generates the history for `households` and decides tomorrow's order (products in
/// parallel, two at a time).
pub fn order(seed: u64, households: usize) -> anyhow::Result<Ordering> {
    let history = generate_history(&HistorySpec::station(seed, households))?;
    let (y, m, d) = history.date(0);
    let start = Date::from_ymd(y, m, d)
        .ok_or_else(|| anyhow::anyhow!("history start {y}-{m}-{d} is not a date"))?;
    let costs = costs()?;
    let mut products: Vec<anyhow::Result<ProductOrder>> = Vec::new();
    for pair in history
        .products
        .iter()
        .zip(&history.demand)
        .collect::<Vec<_>>()
        .chunks(2)
    {
        let done: Vec<anyhow::Result<ProductOrder>> = std::thread::scope(|scope| {
            let handles: Vec<_> = pair
                .iter()
                .map(|(name, y)| scope.spawn(move || product_order(name, y, start, seed, costs)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a forecast thread panicked")))
                })
                .collect()
        });
        products.extend(done);
    }
    let products = products.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let series = Series::new(
        history.products[0].clone(),
        start,
        Frequency::Daily,
        history.demand[0].clone(),
    )?;
    let mut config = ForecastConfig::new(14, levels());
    config.max_history = Some(FIT_HISTORY_DAYS);
    config.seed = seed;
    let fc = forecast_series(&series, &config)?;
    Ok(Ordering {
        tomorrow: history.date(history.days()),
        plot_svg: svg_plot(&series, &fc, 56),
        plot_model: fc.model.to_string(),
        history,
        products,
    })
}
