//! The seeded company, pure: a tenant (cut-off, exception policy, care settings, courier
//! rates), a catalogue (products and packages: a month, a quarter, counts of deliveries, a
//! family pack), two stations at road points in different parts of the area, customers with
//! one household each placed a few to ~60 m off a road point near their station (so the
//! night's snapping is exercised), and their subscriptions (mixed weekday patterns,
//! quantities 1–3, some short prepaid counts that run out during the run, some households
//! with two). Couriers are sized to the expected load afterwards ([`couriers_for`]), once
//! the households that cannot be reached by road are dropped.
use milkrun_calendar::Date;
use milkrun_dairy::calendar::CutOff;
use milkrun_dairy::catalogue::{Pack, Package, Period, Product};
use milkrun_dairy::exception::{Credit, ExceptionPolicy, Remedy};
use milkrun_dairy::household::{Customer, DeliveryWindow, GeoPoint, Household, QrToken};
use milkrun_dairy::ids::{
    CustomerId, HouseholdId, PackageId, ProductId, StationId, SubscriptionId, TenantId,
};
use milkrun_dairy::money::Cents;
use milkrun_dairy::settlement::RateTable;
use milkrun_dairy::subscription::{Subscription, Term, WeekdayPattern};
use milkrun_dairy::tenant::Tenant;
use milkrun_dairy::DairyError;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// The simulated company's tenant id.
pub const TENANT: TenantId = TenantId(1);
/// Whole milk, 1 l.
pub const MILK: ProductId = ProductId(1);
/// Skimmed milk, 1 l.
pub const SKIMMED: ProductId = ProductId(2);
/// Yoghurt, 500 ml.
pub const YOGHURT: ProductId = ProductId(3);
/// The products, in id order.
pub const PRODUCTS: [ProductId; 3] = [MILK, SKIMMED, YOGHURT];
/// Failures strictly before this second of the day are retried the same day.
pub const RETRY_BEFORE_S: i64 = 7 * 3600;
/// Largest distance from a door to its road, metres (the night's `max_snap_m`).
pub const MAX_SNAP_M: f64 = 150.0;
/// Bottles a courier's trike carries.
pub const COURIER_CAPACITY: u32 = 140;
/// Couriers' shift, seconds since midnight.
pub const SHIFT_S: (i64, i64) = (4 * 3600 + 30 * 60, 10 * 3600 + 30 * 60);
/// Stops a courier is given on an average morning (sizes the fleet).
pub const STOPS_PER_COURIER: u32 = 30;
/// The radius around a station its households are drawn from, metres.
pub const STATION_RADIUS_M: f64 = 3_500.0;

/// A station of the company.
#[derive(Debug, Clone, PartialEq)]
pub struct StationPlan {
    /// Its id.
    pub id: StationId,
    /// Its name.
    pub name: &'static str,
    /// Its point (a road point).
    pub point: GeoPoint,
}

/// Everything the generator made; imported into the store by the week loop.
#[derive(Debug, Clone)]
pub struct CompanyPlan {
    /// The tenant.
    pub tenant: Tenant,
    /// Courier pay.
    pub rates: RateTable,
    /// The products.
    pub products: Vec<Product>,
    /// The packages.
    pub packages: Vec<Package>,
    /// The two stations.
    pub stations: Vec<StationPlan>,
    /// One customer per household.
    pub customers: Vec<Customer>,
    /// The households (index `i` has id `i + 1`).
    pub households: Vec<Household>,
    /// The subscriptions.
    pub subscriptions: Vec<Subscription>,
}

/// The exception policy of the simulated dairy: failures before 07:00 are retried the same
/// morning, later ones made up on the next delivery day, refusals credited with a 2.00 coupon.
pub fn policy() -> Result<ExceptionPolicy, DairyError> {
    ExceptionPolicy::new(
        Some(RETRY_BEFORE_S),
        Remedy::MakeUpNextDay,
        Remedy::Credit(Credit::Coupon(Cents(200))),
    )
}

/// The two stations' names and rough places: Vaduz in the Oberland, Eschen in the Unterland
/// (each is moved to the nearest road point).
const STATION_SITES: [(&str, f64, f64); 2] =
    [("Vaduz", 47.1410, 9.5215), ("Eschen", 47.2105, 9.5220)];

/// Delivery windows households choose from (seconds since midnight).
const WINDOWS: [(i64, i64); 4] = [
    (5 * 3600, 8 * 3600),
    (5 * 3600 + 1800, 8 * 3600 + 1800),
    (6 * 3600, 9 * 3600),
    (5 * 3600, 7 * 3600 + 1800),
];

/// Metres between two points (equirectangular, fine at town scale).
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = 111_195.0;
    let dlat = (a.0 - b.0) * k;
    let dlon = (a.1 - b.1) * k * a.0.to_radians().cos();
    (dlat * dlat + dlon * dlon).sqrt()
}

/// The nearest of `points` to `p`, or `p` when there are none.
fn nearest(points: &[(f64, f64)], p: (f64, f64)) -> (f64, f64) {
    points
        .iter()
        .copied()
        .min_by(|a, b| metres(*a, p).total_cmp(&metres(*b, p)))
        .unwrap_or(p)
}

/// `p` moved `m` metres at bearing `angle` (radians).
fn offset(p: (f64, f64), m: f64, angle: f64) -> (f64, f64) {
    let k = 111_195.0;
    (
        p.0 + m * angle.sin() / k,
        p.1 + m * angle.cos() / (k * p.0.to_radians().cos()),
    )
}

/// The households' token of the door.
pub fn token(h: HouseholdId) -> String {
    format!("door-{:06}", h.0)
}

/// Generates the company for `subscriptions` subscriptions on the road points `roads`
/// (`(lat, lon)` of every road node), starting `first_date`. About one household in seven
/// has two subscriptions. Households are drawn from the road points within
/// [`STATION_RADIUS_M`] of each station (half each), moved 5–60 m off the road.
/// `extra_households` more households (without subscriptions yet) are drawn per station as
/// spares for the ones the roads cannot reach; [`keep_households`] drops those not used.
pub fn generate(
    seed: u64,
    subscriptions: u32,
    roads: &[(f64, f64)],
    first_date: Date,
) -> Result<CompanyPlan, DairyError> {
    generate_in_buildings(seed, subscriptions, roads, &[], first_date)
}

/// [`generate`], with real buildings `(lat, lon, households)` (an extract's homes,
/// `milkrun_station::scenario::residential_sites`): a household drawn at a road point with a
/// building that has room left within [`MAX_SNAP_M`] of it lives in the nearest such
/// building (its door is the building's position; a building holds at most its
/// households); elsewhere it stands 5–60 m off the road as in [`generate`]. The random
/// draws are the same, so with no buildings the company is [`generate`]'s.
pub fn generate_in_buildings(
    seed: u64,
    subscriptions: u32,
    roads: &[(f64, f64)],
    buildings: &[(f64, f64, u32)],
    first_date: Date,
) -> Result<CompanyPlan, DairyError> {
    let mut room: Vec<u32> = buildings.iter().map(|b| b.2).collect();
    let mut rng = Pcg64::seed_from_u64(seed ^ 0x636f_6d70_616e_7900);
    let tenant = Tenant::new(
        TENANT,
        "Rhine Valley Dairy",
        CutOff::new(1, 20 * 3600)?,
        policy()?,
    )?;
    let products = vec![
        Product::new(MILK, "Whole milk 1 l")?,
        Product::new(SKIMMED, "Skimmed milk 1 l")?,
        Product::new(YOGHURT, "Yoghurt 500 ml")?,
    ];
    let packages = vec![
        Package::new(
            PackageId(1),
            MILK,
            1000,
            Period::Month,
            Pack::Single,
            Cents(4500),
        )?,
        Package::new(
            PackageId(2),
            MILK,
            1000,
            Period::Quarter,
            Pack::Single,
            Cents(12_900),
        )?,
        Package::new(
            PackageId(3),
            SKIMMED,
            1000,
            Period::Deliveries(10),
            Pack::Single,
            Cents(1500),
        )?,
        Package::new(
            PackageId(4),
            MILK,
            1000,
            Period::Month,
            Pack::Family { units: 2 },
            Cents(8500),
        )?,
        Package::new(
            PackageId(5),
            YOGHURT,
            500,
            Period::Deliveries(12),
            Pack::Single,
            Cents(1800),
        )?,
    ];
    let stations: Vec<StationPlan> = STATION_SITES
        .iter()
        .enumerate()
        .map(|(i, &(name, lat, lon))| {
            let (lat, lon) = nearest(roads, (lat, lon));
            Ok(StationPlan {
                id: StationId(i as i64 + 1),
                name,
                point: GeoPoint::new(lat, lon)?,
            })
        })
        .collect::<Result<_, DairyError>>()?;
    // Road points near each station (every station gets the points nearer to it than to
    // the other one, within the radius).
    let near: Vec<Vec<(f64, f64)>> = stations
        .iter()
        .map(|s| {
            let here = (s.point.lat, s.point.lon);
            roads
                .iter()
                .copied()
                .filter(|&p| {
                    let d = metres(p, here);
                    d <= STATION_RADIUS_M
                        && stations
                            .iter()
                            .all(|o| metres(p, (o.point.lat, o.point.lon)) >= d)
                })
                .collect()
        })
        .collect();
    let household_count = (u64::from(subscriptions) * 7).div_ceil(8) as usize;
    let mut customers = Vec::with_capacity(household_count);
    let mut households = Vec::with_capacity(household_count);
    for i in 0..household_count {
        let s = i % stations.len();
        let pool = &near[s];
        let base = if pool.is_empty() {
            (stations[s].point.lat, stations[s].point.lon)
        } else {
            pool[rng.random_range(0..pool.len())]
        };
        let (lat, lon) = offset(
            base,
            rng.random_range(5.0..60.0),
            rng.random_range(0.0..std::f64::consts::TAU),
        );
        // A real building with room near the road point: within the night's snap limit of
        // it, so the door always snaps.
        let real = buildings
            .iter()
            .enumerate()
            .filter(|&(k, b)| room[k] > 0 && b.0.is_finite() && b.1.is_finite())
            .map(|(k, b)| (metres(base, (b.0, b.1)), k))
            .filter(|&(d, _)| d <= MAX_SNAP_M)
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (lat, lon) = match real {
            Some((_, k)) => {
                room[k] -= 1;
                (buildings[k].0, buildings[k].1)
            }
            None => (lat, lon),
        };
        let id = HouseholdId(i as i64 + 1);
        let w = WINDOWS[rng.random_range(0..WINDOWS.len())];
        customers.push(Customer::new(
            CustomerId(id.0),
            &format!("Customer {}", id.0),
        )?);
        households.push(Household::new(
            id,
            CustomerId(id.0),
            stations[s].id,
            &format!("House {}, {}", id.0, stations[s].name),
            GeoPoint::new(lat, lon)?,
            DeliveryWindow::new(w.0, w.1)?,
            QrToken::new(&token(id))?,
        )?);
    }
    let subscriptions =
        subscriptions_for(&mut rng, subscriptions, &households, &packages, first_date)?;
    Ok(CompanyPlan {
        tenant,
        rates: RateTable::new(Cents(120), Cents(15))?,
        products,
        packages,
        stations,
        customers,
        households,
        subscriptions,
    })
}

/// `count` subscriptions over `households` (each one at least one; then a second for some).
fn subscriptions_for(
    rng: &mut Pcg64,
    count: u32,
    households: &[Household],
    packages: &[Package],
    first_date: Date,
) -> Result<Vec<Subscription>, DairyError> {
    let patterns = [
        WeekdayPattern::DAILY,
        WeekdayPattern::from_days(&[0, 1, 2, 3, 4])?,
        WeekdayPattern::from_days(&[0, 2, 4])?,
        WeekdayPattern::from_days(&[5, 6])?,
        WeekdayPattern::from_days(&[1, 3, 5])?,
    ];
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        if households.is_empty() {
            break;
        }
        let h = if i < households.len() {
            households[i].id
        } else {
            households[rng.random_range(0..households.len())].id
        };
        let roll = rng.random_range(0..100);
        let pattern = match roll {
            0..40 => patterns[0],
            40..70 => patterns[1],
            70..85 => patterns[2],
            85..92 => patterns[3],
            _ => patterns[4],
        };
        let package = &packages[match rng.random_range(0..100) {
            0..40 => 0,
            40..60 => 1,
            60..75 => 2,
            75..85 => 3,
            _ => 4,
        }];
        let quantity = match rng.random_range(0..10) {
            0..6 => 1,
            6..9 => 2,
            _ => 3,
        };
        let id = SubscriptionId(i as i64 + 1);
        let sub = match package.period {
            // Counts of deliveries: some bought long ago and about to run out.
            Period::Deliveries(n) => {
                let left = if rng.random_range(0..100) < 30 {
                    rng.random_range(1..=4)
                } else {
                    n
                };
                Subscription::new(
                    id,
                    h,
                    package.id,
                    first_date.add_days(-rng.random_range(0..20)),
                    Term::Prepaid(left),
                    quantity,
                    pattern,
                )?
            }
            _ => Subscription::for_package(
                id,
                h,
                package,
                first_date.add_days(-rng.random_range(0..20)),
                quantity,
                pattern,
            )?,
        };
        out.push(sub);
    }
    Ok(out)
}

/// The company with only the households whose `reachable` is true, renumbered from 1 (their
/// customers and subscriptions follow; subscriptions of dropped households are dropped, so
/// the count may fall a little short of the one asked for).
pub fn keep_households(plan: CompanyPlan, reachable: &[bool]) -> Result<CompanyPlan, DairyError> {
    let mut new_id = vec![None; plan.households.len()];
    let mut households = Vec::new();
    let mut customers = Vec::new();
    for (i, h) in plan.households.iter().enumerate() {
        if !reachable.get(i).copied().unwrap_or(false) {
            continue;
        }
        let id = HouseholdId(households.len() as i64 + 1);
        new_id[i] = Some(id);
        customers.push(Customer::new(
            CustomerId(id.0),
            &format!("Customer {}", id.0),
        )?);
        households.push(Household::new(
            id,
            CustomerId(id.0),
            h.station,
            &h.address,
            h.point,
            h.window,
            QrToken::new(&token(id))?,
        )?);
    }
    let mut subscriptions = Vec::new();
    for s in &plan.subscriptions {
        let Some(Some(h)) = new_id.get((s.household.0 - 1) as usize) else {
            continue;
        };
        let mut s = s.clone();
        s.id = SubscriptionId(subscriptions.len() as i64 + 1);
        s.household = *h;
        subscriptions.push(s);
    }
    Ok(CompanyPlan {
        households,
        customers,
        subscriptions,
        ..plan
    })
}

/// Couriers for a station with `households` households: enough for [`STOPS_PER_COURIER`]
/// stops each on a morning where four in five of them have an order, at least two.
pub fn couriers_for(households: usize) -> u32 {
    let stops = (households as u64 * 4).div_ceil(5);
    (stops.div_ceil(u64::from(STOPS_PER_COURIER)) as u32).max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<(f64, f64)> {
        let mut v = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                v.push((47.13 + 0.0025 * f64::from(i), 9.50 + 0.0015 * f64::from(j)));
            }
        }
        v
    }

    /// The same seed gives the same company; households lie 5–60 m off their road point and
    /// every one has a subscription; a dropped household takes its subscriptions with it.
    #[test]
    fn seeded_company_near_the_roads() -> Result<(), Box<dyn std::error::Error>> {
        let roads = grid();
        let d = Date::try_from_ymd(2028, 3, 6)?;
        let a = generate(7, 200, &roads, d)?;
        let b = generate(7, 200, &roads, d)?;
        assert_eq!(a.households, b.households);
        assert_eq!(a.subscriptions, b.subscriptions);
        assert_eq!(a.subscriptions.len(), 200);
        assert_eq!(a.stations.len(), 2);
        for h in &a.households {
            let p = (h.point.lat, h.point.lon);
            let road = roads
                .iter()
                .map(|&r| metres(r, p))
                .fold(f64::INFINITY, f64::min);
            assert!(road > 0.0 && road < 61.0, "{road}");
            assert!(a.subscriptions.iter().any(|s| s.household == h.id));
        }
        let mut keep = vec![true; a.households.len()];
        keep[0] = false;
        let lost = a
            .subscriptions
            .iter()
            .filter(|s| s.household.0 == 1)
            .count();
        let kept = keep_households(a, &keep)?;
        assert_eq!(kept.subscriptions.len(), 200 - lost);
        assert_eq!(kept.households[0].id, HouseholdId(1));
        assert_eq!(couriers_for(10), 2);
        assert_eq!(couriers_for(1000), 27);
        Ok(())
    }
}
