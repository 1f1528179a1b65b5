//! Opaque ids: one newtype per kind of row, so an order id can never be passed as a household
//! id. Every id is an `i64` because both SQLite and PostgreSQL store `BIGINT` natively.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A dairy company; every row of the store belongs to exactly one tenant.
    TenantId
);
id_type!(
    /// A product of the catalogue (whole milk, skimmed milk, yoghurt, …).
    ProductId
);
id_type!(
    /// A package: product × size × period, with its price.
    PackageId
);
id_type!(
    /// A customer (the person who pays).
    CustomerId
);
id_type!(
    /// A household (the door the milk goes to).
    HouseholdId
);
id_type!(
    /// A milk station, the depot a household is served from.
    StationId
);
id_type!(
    /// A courier.
    CourierId
);
id_type!(
    /// A subscription of a household to a package.
    SubscriptionId
);
id_type!(
    /// A delivery-calendar operation (pause, skip, swap, …) on a subscription.
    OperationId
);
id_type!(
    /// A frozen order. Derived from its subscription, date and line (see
    /// [`crate::freeze::order_id`]), never random and never an autoincrement.
    OrderId
);
id_type!(
    /// A lot of one product received at a station (one delivery note line: product, quantity,
    /// received date, expiry). Chosen by the caller (e.g. from the supplier's note), so that
    /// receiving the same lot twice records it once.
    LotId
);
id_type!(
    /// A household's complaint.
    ComplaintId
);
id_type!(
    /// A tenant's webhook endpoint.
    EndpointId
);
id_type!(
    /// A promotion targeted at a segment of a tenant's customers.
    PromotionId
);
