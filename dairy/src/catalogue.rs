//! The catalogue: products and packages (product × size × period, single or family pack)
//! with prices in cents.
use crate::error::{invalid, DairyError};
use crate::ids::{PackageId, ProductId};
use crate::money::Cents;

/// The largest bottle or pot size accepted, in millilitres.
pub const MAX_SIZE_ML: u32 = 20_000;
/// The largest count of deliveries a package may prepay.
pub const MAX_PREPAID_DELIVERIES: u32 = 1_000;
/// The most units a family pack may hold.
pub const MAX_PACK_UNITS: u32 = 24;

/// A product the dairy sells (whole milk, skimmed milk, yoghurt, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The product's id.
    pub id: ProductId,
    /// Its display name; not empty, at most 200 bytes.
    pub name: String,
}

impl Product {
    /// A product with a checked name.
    pub fn new(id: ProductId, name: &str) -> Result<Product, DairyError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(invalid("product.name", "must have 1 to 200 bytes"));
        }
        Ok(Product {
            id,
            name: name.to_owned(),
        })
    }
}

/// What a package's price pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Deliveries for one calendar month from the start.
    Month,
    /// Deliveries for three calendar months from the start.
    Quarter,
    /// Deliveries for a year from the start.
    Year,
    /// A number of deliveries (1..=[`MAX_PREPAID_DELIVERIES`]), whenever they happen.
    Deliveries(u32),
}

impl Period {
    /// The period's number of calendar months, `None` for a count of deliveries.
    pub fn months(self) -> Option<u32> {
        match self {
            Period::Month => Some(1),
            Period::Quarter => Some(3),
            Period::Year => Some(12),
            Period::Deliveries(_) => None,
        }
    }
}

/// Single units or a family pack of several units per delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pack {
    /// One unit per quantity.
    Single,
    /// `units` units (2..=[`MAX_PACK_UNITS`]) per quantity.
    Family {
        /// Units in the pack.
        units: u32,
    },
}

impl Pack {
    /// Units per pack (1 for a single).
    pub fn units(self) -> u32 {
        match self {
            Pack::Single => 1,
            Pack::Family { units } => units,
        }
    }
}

/// A package: a product in a size, for a period, single or family pack, at a price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package's id.
    pub id: PackageId,
    /// The product delivered.
    pub product: ProductId,
    /// The size of one unit in millilitres (1..=[`MAX_SIZE_ML`]).
    pub size_ml: u32,
    /// What the price pays for.
    pub period: Period,
    /// Single or family pack.
    pub pack: Pack,
    /// The price of the whole period for quantity one, in cents (not negative).
    pub price: Cents,
}

impl Package {
    /// Checks every field and returns the package.
    pub fn new(
        id: PackageId,
        product: ProductId,
        size_ml: u32,
        period: Period,
        pack: Pack,
        price: Cents,
    ) -> Result<Package, DairyError> {
        if size_ml == 0 || size_ml > MAX_SIZE_ML {
            return Err(invalid(
                "package.size_ml",
                format!("must be 1..={MAX_SIZE_ML}"),
            ));
        }
        if let Period::Deliveries(n) = period {
            if n == 0 || n > MAX_PREPAID_DELIVERIES {
                return Err(invalid(
                    "package.period",
                    format!("a count of deliveries must be 1..={MAX_PREPAID_DELIVERIES}"),
                ));
            }
        }
        if let Pack::Family { units } = pack {
            if !(2..=MAX_PACK_UNITS).contains(&units) {
                return Err(invalid(
                    "package.pack",
                    format!("a family pack holds 2..={MAX_PACK_UNITS} units"),
                ));
            }
        }
        if price.0 < 0 {
            return Err(invalid("package.price", "must not be negative"));
        }
        Ok(Package {
            id,
            product,
            size_ml,
            period,
            pack,
            price,
        })
    }

    /// The price of `quantity` packages for the whole period, checked.
    pub fn price_for(&self, quantity: u32) -> Result<Cents, DairyError> {
        self.price.checked_mul(quantity, "package price × quantity")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(size_ml: u32, period: Period, pack: Pack, price: i64) -> Result<Package, DairyError> {
        Package::new(
            PackageId(1),
            ProductId(1),
            size_ml,
            period,
            pack,
            Cents(price),
        )
    }

    /// A valid package is kept as given and prices multiply exactly.
    #[test]
    fn valid_package_and_price() {
        let p = pkg(1000, Period::Month, Pack::Family { units: 4 }, 4_500);
        assert!(p.as_ref().is_ok_and(|p| p.pack.units() == 4));
        assert_eq!(p.and_then(|p| p.price_for(2)), Ok(Cents(9_000)));
        assert_eq!(Period::Quarter.months(), Some(3));
        assert_eq!(Period::Deliveries(30).months(), None);
    }

    /// Each bad field is refused with its name.
    #[test]
    fn bad_fields_are_named() {
        let field = |r: Result<Package, DairyError>| match r {
            Err(DairyError::Invalid { field, .. }) => field,
            _ => "ok",
        };
        assert_eq!(
            field(pkg(0, Period::Month, Pack::Single, 1)),
            "package.size_ml"
        );
        assert_eq!(
            field(pkg(500, Period::Deliveries(0), Pack::Single, 1)),
            "package.period"
        );
        assert_eq!(
            field(pkg(500, Period::Year, Pack::Family { units: 1 }, 1)),
            "package.pack"
        );
        assert_eq!(
            field(pkg(500, Period::Year, Pack::Single, -1)),
            "package.price"
        );
        assert!(Product::new(ProductId(1), "  ").is_err());
        assert!(pkg(500, Period::Year, Pack::Single, i64::MAX)
            .and_then(|p| p.price_for(2))
            .is_err());
    }
}
