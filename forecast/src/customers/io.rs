//! Reading a transaction log from CSV (the edge of this module: the models never touch files).
//!
//! Columns, by header name (any order, extra columns ignored): `customer_id`, `date`
//! (`YYYY-MM-DD` or `YYYYMMDD`) and `amount`. When there is no `amount` column, a
//! `dollar_value` column is used instead, so the shipped CDNOW file reads as it is.

use std::collections::HashMap;
use std::io::Read;

use super::date::Date;
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
