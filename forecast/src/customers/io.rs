//! Reading a transaction log from CSV (the edge of this module: the models never touch files),
//! and an order-line log for the recommender ([`read_purchases_csv`]).
//!
//! Columns, by header name (any order, extra columns ignored): `customer_id`, `date`
//! (`YYYY-MM-DD` or `YYYYMMDD`) and `amount`. When there is no `amount` column, a
//! `dollar_value` column is used instead, so the shipped CDNOW file reads as it is.

use std::collections::HashMap;
use std::io::Read;

use super::date::Date;
use super::recommend::{ItemId, Purchase};
use super::transactions::{CustomerId, Transaction};
use super::CustomerError;

/// A log read from CSV: the transactions plus what is needed to talk about them to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionLog {
    /// The transactions, in file order, with dense customer ids.
    pub transactions: Vec<Transaction>,
    /// External id of each dense [`CustomerId`] (index = id).
    pub customer_names: Vec<String>,
    /// 1-based file line of each transaction.
    pub lines: Vec<u64>,
    /// The header name of the column used as the amount (`amount` or `dollar_value`).
    pub amount_column: &'static str,
}

impl TransactionLog {
    /// The file line of transaction `index` (0 when out of range).
    pub fn line_of(&self, index: usize) -> u64 {
        self.lines.get(index).copied().unwrap_or(0)
    }

    /// The external id of a customer (empty when unknown).
    pub fn name_of(&self, customer: CustomerId) -> &str {
        self.customer_names
            .get(customer.0 as usize)
            .map_or("", String::as_str)
    }
}

/// Reads a CSV transaction log. Errors name the missing column or the line and field that
/// does not parse (unparsable date, amount not a finite non-negative number, missing field).
pub fn read_transactions_csv<R: Read>(reader: R) -> Result<TransactionLog, CustomerError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| CustomerError::Csv { line: 1, source: e })?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let found = || headers.iter().collect::<Vec<_>>().join(",");
    let id_col = find("customer_id").ok_or_else(|| CustomerError::MissingColumn {
        column: "customer_id",
        found: found(),
    })?;
    let date_col = find("date").ok_or_else(|| CustomerError::MissingColumn {
        column: "date",
        found: found(),
    })?;
    let (amount_col, amount_column) = match (find("amount"), find("dollar_value")) {
        (Some(c), _) => (c, "amount"),
        (None, Some(c)) => (c, "dollar_value"),
        (None, None) => {
            return Err(CustomerError::MissingColumn {
                column: "amount",
                found: found(),
            })
        }
    };
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut log = TransactionLog {
        transactions: Vec::new(),
        customer_names: Vec::new(),
        lines: Vec::new(),
        amount_column,
    };
    let mut record = csv::StringRecord::new();
    loop {
        let more = csv
            .read_record(&mut record)
            .map_err(|e| CustomerError::Csv {
                line: e.position().map_or(0, |p| p.line()),
                source: e,
            })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        let field = |col: usize, name: &'static str| {
            record
                .get(col)
                .filter(|s| !s.is_empty())
                .ok_or(CustomerError::BadField {
                    line,
                    field: name,
                    value: String::new(),
                })
        };
        let name = field(id_col, "customer_id")?;
        let date_text = field(date_col, "date")?;
        let amount_text = field(amount_col, amount_column)?;
        let date = Date::parse_iso_or_basic(date_text)
            .map_err(|source| CustomerError::BadDate { line, source })?;
        let amount: f64 = amount_text
            .parse()
            .ok()
            .filter(|a: &f64| a.is_finite() && *a >= 0.0)
            .ok_or_else(|| CustomerError::BadField {
                line,
                field: amount_column,
                value: amount_text.to_string(),
            })?;
        let id = match ids.get(name) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(log.customer_names.len()).map_err(|_| {
                    CustomerError::BadField {
                        line,
                        field: "customer_id",
                        value: "more than 2^32 distinct customers".into(),
                    }
                })?;
                ids.insert(name.to_string(), id);
                log.customer_names.push(name.to_string());
                id
            }
        };
        log.transactions.push(Transaction {
            customer: CustomerId(id),
            date,
            amount,
        });
        log.lines.push(line);
    }
    if log.transactions.is_empty() {
        return Err(CustomerError::EmptyLog);
    }
    Ok(log)
}

/// An order-line log read from CSV for [`super::recommend`]: purchases with dense customer,
/// order and item ids, and the external names of customers and items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseLog {
    /// The order lines, in file order.
    pub purchases: Vec<Purchase>,
    /// External id of each dense customer (index = id).
    pub customer_names: Vec<String>,
    /// External name of each dense [`ItemId`] (index = id).
    pub item_names: Vec<String>,
}

/// Which columns of an order-line CSV hold what (by header name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseColumns {
    /// The customer (any text).
    pub customer: &'static str,
    /// The order (any text; orders are numbered in order of first appearance).
    pub order: &'static str,
    /// The order's date, `YYYY-MM-DD` or `YYYYMMDD`.
    pub date: &'static str,
    /// The item (any text).
    pub item: &'static str,
}

/// Reads an order-line CSV. Errors name the missing column or the line and field that does
/// not parse.
pub fn read_purchases_csv<R: Read>(
    reader: R,
    columns: PurchaseColumns,
) -> Result<PurchaseLog, CustomerError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| CustomerError::Csv { line: 1, source: e })?
        .clone();
    let find = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| CustomerError::MissingColumn {
                column: name,
                found: headers.iter().collect::<Vec<_>>().join(","),
            })
    };
    let cols = [
        (find(columns.customer)?, columns.customer),
        (find(columns.order)?, columns.order),
        (find(columns.date)?, columns.date),
        (find(columns.item)?, columns.item),
    ];
    let mut customers = Names::default();
    let mut orders = Names::default();
    let mut items = Names::default();
    let mut purchases = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = csv
            .read_record(&mut record)
            .map_err(|e| CustomerError::Csv {
                line: e.position().map_or(0, |p| p.line()),
                source: e,
            })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut field = [""; 4];
        for (slot, &(col, name)) in field.iter_mut().zip(&cols) {
            *slot = record
                .get(col)
                .filter(|s| !s.is_empty())
                .ok_or(CustomerError::BadField {
                    line,
                    field: name,
                    value: String::new(),
                })?;
        }
        let date = Date::parse_iso_or_basic(field[2])
            .map_err(|source| CustomerError::BadDate { line, source })?;
        purchases.push(Purchase {
            customer: CustomerId(customers.id(field[0], line, columns.customer)?),
            order: orders.id(field[1], line, columns.order)?,
            date,
            item: ItemId(items.id(field[3], line, columns.item)?),
        });
    }
    if purchases.is_empty() {
        return Err(CustomerError::EmptyLog);
    }
    Ok(PurchaseLog {
        purchases,
        customer_names: customers.names,
        item_names: items.names,
    })
}

/// Dense ids for external names, in order of first appearance.
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str, line: u64, field: &'static str) -> Result<u32, CustomerError> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        let id = u32::try_from(self.names.len()).map_err(|_| CustomerError::BadField {
            line,
            field,
            value: "more than 2^32 distinct values".into(),
        })?;
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        Ok(id)
    }
}
