//! The store: the only module that does I/O. One `sqlx::AnyPool` (SQLite by default,
//! PostgreSQL through the same code and migrations; see the crate doc), migrations embedded
//! from `dairy/migrations/`, one file per aggregate:
//! [`tenants`], [`catalogue`], [`households`], [`subscriptions`], [`import`] (bulk loads),
//! [`operations`],
//! [`orders`] (the freeze), [`night`] (the night's plan), [`outcomes`], [`remedies`] (the
//! exception policy), [`close`], [`settlement`], [`bottles`], [`outbox`], [`stock`] (lots, the
//! movement ledger, loading, expiry, low-stock alerts, transfers), [`station_orders`]
//! (tomorrow's order per station), [`care`] (settings and alerts), [`renewals`],
//! [`complaints`], [`webhooks`], [`consumption`] (per customer), [`segments`] (RFM),
//! [`promotions`] (create, push, offers and conversion), [`recommend`] (a customer's
//! recommendations), [`cube`] (BI queries with drill-down), [`watch`] (the cockpit's watch
//! list and daily trend),
//! [`rounds`] (the day's rounds for the faces: the board, a courier's round, a stop's report),
//! [`ratings`] (customers' ratings of deliveries, per courier), [`sites`] (where a station
//! stands, its couriers' shifts, the live day's re-plan written back to the night's stops),
//! [`live_days`] (the service's live days), [`jobs`] (the service's batch jobs) and
//! [`late_orders`] (the dispatcher's late orders).
use std::str::FromStr;

use milkrun_calendar::Date;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteRow};
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Connection, Row};

use crate::error::DairyError;
use crate::ids::TenantId;

pub mod bottles;
pub mod care;
pub mod catalogue;
pub mod close;
pub mod complaints;
pub mod consumption;
pub mod cube;
pub mod households;
pub mod import;
pub mod jobs;
pub mod late_orders;
pub mod live_day_leases;
pub mod live_days;
pub mod night;
pub mod offers;
pub mod operations;
pub mod orders;
pub mod outbox;
pub mod outcome_rows;
pub mod outcomes;
pub mod promotions;
pub mod ratings;
pub mod recommend;
pub mod remedies;
pub mod renewals;
pub mod rounds;
pub mod segments;
pub mod settlement;
pub mod sites;
pub mod station_days;
pub mod station_orders;
pub mod stock;
pub mod subscriptions;
pub mod tenants;
pub mod watch;
pub mod webhooks;

/// The migrations, embedded in the binary; (version, description, SQL) in order. Added by hand
/// rather than by `sqlx::migrate!`, whose proc macro builds a second copy of sqlx and SQLite
/// for the compiler. The checksum sqlx records for each is the SHA-384 of its SQL either way.
const MIGRATIONS: [(i64, &str, &str); 15] = [
    (1, "dairy", include_str!("../../migrations/0001_dairy.sql")),
    (
        2,
        "settlement bottles outbox",
        include_str!("../../migrations/0002_settlement_bottles_outbox.sql"),
    ),
    (
        3,
        "operation counters",
        include_str!("../../migrations/0003_operation_counters.sql"),
    ),
    (
        4,
        "live days",
        include_str!("../../migrations/0004_live_days.sql"),
    ),
    (
        5,
        "night plan",
        include_str!("../../migrations/0005_night_plan.sql"),
    ),
    (6, "stock", include_str!("../../migrations/0006_stock.sql")),
    (7, "care", include_str!("../../migrations/0007_care.sql")),
    (8, "jobs", include_str!("../../migrations/0008_jobs.sql")),
    (
        9,
        "live day matrices",
        include_str!("../../migrations/0009_live_day_matrices.sql"),
    ),
    (
        10,
        "insights",
        include_str!("../../migrations/0010_insights.sql"),
    ),
    (
        11,
        "late orders",
        include_str!("../../migrations/0011_late_orders.sql"),
    ),
    (
        12,
        "live day leases",
        include_str!("../../migrations/0012_live_day_leases.sql"),
    ),
    (
        13,
        "station sites",
        include_str!("../../migrations/0013_station_sites.sql"),
    ),
    (
        14,
        "station live days",
        include_str!("../../migrations/0014_station_live_days.sql"),
    ),
    (
        15,
        "subscription offers",
        include_str!("../../migrations/0015_subscription_offers.sql"),
    ),
];

/// The embedded migrations up to version `last`, as sqlx runs them.
fn migrator(last: i64) -> sqlx::migrate::Migrator {
    let migrations = MIGRATIONS
        .iter()
        .filter(|&&(version, _, _)| version <= last)
        .map(|&(version, description, sql)| {
            sqlx::migrate::Migration::new(
                version,
                description.into(),
                sqlx::migrate::MigrationType::Simple,
                sql.into(),
                false,
            )
        })
        .collect::<Vec<_>>();
    sqlx::migrate::Migrator {
        migrations: migrations.into(),
        ..sqlx::migrate::Migrator::DEFAULT
    }
}

/// The embedded migrations as sqlx runs them.
static MIGRATOR: std::sync::LazyLock<sqlx::migrate::Migrator> =
    std::sync::LazyLock::new(|| migrator(i64::MAX));

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A domain rule refused the input.
    #[error(transparent)]
    Domain(#[from] DairyError),
    /// The database failed or refused a statement (a constraint, a lost connection).
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The embedded migrations could not be applied.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row the call needs does not exist for this tenant.
    #[error("tenant {tenant} has no {what} {id}")]
    NotFound {
        /// The tenant.
        tenant: TenantId,
        /// The kind of row, e.g. `subscription`.
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// A write of a live day carried a lease epoch that is no longer the day's: another
    /// replica took the day over (or it is unknown); nothing was written.
    #[error("live day {day_id} is fenced: lease epoch {epoch} is no longer its own")]
    Fenced {
        /// The day.
        day_id: String,
        /// The epoch the write carried.
        epoch: i64,
    },
    /// A stored value does not decode into its domain type.
    #[error("stored {field} is not valid: {reason}")]
    Corrupt {
        /// The column.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// The database a store runs on, chosen by its URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:`: one file, WAL (the embedded default).
    Sqlite,
    /// `postgres:` or `postgresql:`.
    Postgres,
}

impl Backend {
    /// The backend of a store URL; any other scheme is refused, naming the field `url`.
    pub fn of_url(url: &str) -> Result<Backend, DairyError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(crate::error::invalid(
                "url",
                "must start with sqlite: or postgres:",
            ))
        }
    }

    /// The backend a connection of the `Any` pool talks to.
    pub(crate) fn of_connection(conn: &AnyConnection) -> Backend {
        if conn.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// The dairy store over one connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// On SQLite, the file's options, for the bulk reads that open a connection of the SQLite
    /// driver directly ([`Store::sqlite_reader`]); `None` on PostgreSQL.
    sqlite: Option<SqliteConnectOptions>,
}

impl Store {
    /// Opens the store at `url` and applies the migrations. A `sqlite:` URL names one file,
    /// created when missing and switched to WAL (sqlx's SQLite driver turns foreign keys on for
    /// every connection it opens, the `Any` pool's included; a test checks it);
    /// a `postgres:` URL names an existing database.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, &MIGRATOR).await
    }

    /// Opens the store at `url` with the migrations up to version `last` only: a store of an
    /// older release, for the tests of a later migration's move of old rows. A later
    /// [`Store::open`] applies the rest.
    #[doc(hidden)]
    pub async fn open_migrated_to(url: &str, last: i64) -> Result<Store, StoreError> {
        Store::open_with(url, &migrator(last)).await
    }

    async fn open_with(url: &str, migrator: &sqlx::migrate::Migrator) -> Result<Store, StoreError> {
        let backend = Backend::of_url(url)?;
        sqlx::any::install_default_drivers();
        let mut sqlite = None;
        if backend == Backend::Sqlite {
            // WAL is a property of the file: set it once, then every pooled connection uses it.
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true);
            opts.connect().await?.close().await?;
            sqlite = Some(opts);
        }
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .connect(url)
            .await?;
        migrator.run(&pool).await?;
        Ok(Store {
            pool,
            backend,
            sqlite,
        })
    }

    /// On SQLite, a connection of the SQLite driver itself, outside the pool, for a bulk read
    /// (the freeze's million subscription rows): it decodes rows without converting each into
    /// an `AnyRow`. `None` on PostgreSQL, whose readers go through the pool.
    pub(crate) async fn sqlite_reader(&self) -> Result<Option<SqliteConnection>, StoreError> {
        match &self.sqlite {
            Some(opts) => Ok(Some(opts.connect().await?)),
            None => Ok(None),
        }
    }

    /// The backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits for a
    /// concurrent writer (up to the busy timeout) instead of failing with "database is
    /// locked" when it upgrades. On PostgreSQL it is a plain `BEGIN` (READ COMMITTED): every
    /// write that must happen once is guarded by a primary or unique key (`ON CONFLICT`), and
    /// ids come from a counter row updated in place, which concurrent writers wait on.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The pool, for readers of the documented view `v_order_outcomes`.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// A date as stored: `YYYY-MM-DD`.
pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}

/// A stored date.
pub(crate) fn parse_date(text: &str, field: &'static str) -> Result<Date, StoreError> {
    Date::parse_iso(text).map_err(|e| StoreError::Corrupt {
        field,
        reason: e.to_string(),
    })
}

/// The typed cells of a row, read the same way from the `Any` pool's rows and from the SQLite
/// driver's (the bulk reads of [`Store::sqlite_reader`]), so each decoder is written once.
pub(crate) trait Cells {
    /// An integer column.
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    /// A text column.
    fn text(&self, col: &str) -> Result<String, StoreError>;
    /// A date column (`field` names it in the error).
    fn date(&self, col: &str, field: &'static str) -> Result<Date, StoreError>;
    /// A nullable date column (`field` names it in the error).
    fn opt_date(&self, col: &str, field: &'static str) -> Result<Option<Date>, StoreError>;
}

/// [`Cells`] for a row type whose text decodes as `$text` (borrowed where the driver allows).
macro_rules! cells {
    ($row:ty, $text:ty) => {
        impl Cells for $row {
            fn int(&self, col: &str) -> Result<i64, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
                Ok(self.try_get(col)?)
            }
            fn text(&self, col: &str) -> Result<String, StoreError> {
                let t: $text = self.try_get(col)?;
                Ok(t.into())
            }
            fn date(&self, col: &str, field: &'static str) -> Result<Date, StoreError> {
                let t: $text = self.try_get(col)?;
                parse_date(&t, field)
            }
            fn opt_date(&self, col: &str, field: &'static str) -> Result<Option<Date>, StoreError> {
                let t: Option<$text> = self.try_get(col)?;
                t.map(|t| parse_date(&t, field)).transpose()
            }
        }
    };
}
cells!(AnyRow, String);
cells!(SqliteRow, &str);

/// A stored non-negative count that must fit a `u32`.
pub(crate) fn to_u32(v: i64, field: &'static str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        field,
        reason: format!("{v} is not a count"),
    })
}

/// The most rows one multi-row `INSERT` carries: with at most 10 columns that stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// `VALUES (…), (…), …` for `rows` rows of `cols` columns, for a statement whose only
/// parameters these are. PostgreSQL gets `$1`, `$2`, …; SQLite gets anonymous `?`s, bound in
/// the same order: for each numbered or named parameter, sqlx's SQLite driver asks SQLite for
/// the parameter's name, which SQLite finds by a linear walk of the statement's parameter list,
/// so a 5,000-parameter `INSERT` with `$N`s cost quadratic time (half of the freeze's run time
/// before this; `?`s have no name and bind in constant time).
pub(crate) fn values_clause(backend: Backend, rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5 + 8);
    out.push_str("VALUES ");
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{values_clause, Backend};

    /// Both backends get the parameters in the same order: numbered on PostgreSQL, anonymous
    /// (bound in order) on SQLite.
    #[test]
    fn values_clause_per_backend() {
        assert_eq!(
            values_clause(Backend::Postgres, 2, 3),
            "VALUES ($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(
            values_clause(Backend::Sqlite, 2, 3),
            "VALUES (?, ?, ?), (?, ?, ?)"
        );
    }

    /// Every file in `dairy/migrations/` is embedded, in order, with the version its name gives.
    #[test]
    fn every_migration_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("the migrations folder")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), super::MIGRATIONS.len(), "{files:?}");
        for (file, &(version, _, sql)) in files.iter().zip(super::MIGRATIONS.iter()) {
            let (number, _) = file.split_once('_').expect("NNNN_name.sql");
            assert_eq!(number.parse::<i64>().expect("a number"), version, "{file}");
            let on_disk = std::fs::read_to_string(dir.join(file)).expect("readable");
            assert_eq!(on_disk, sql, "{file} differs from what is embedded");
        }
    }
}
