//! Arrow record batches into the typed rows every transport returns ([`QueryResult`]).
//!
//! The REST path reads Datalayers' JSON; this reads Arrow columns; both end in the same
//! [`Value`]s, so readers cannot tell them apart:
//! - timestamps of any unit, with or without a time zone, become UTC nanoseconds (Arrow stores
//!   instants as UTC whatever zone the type names; the zone only says how to print them);
//! - `Utf8`, `LargeUtf8`, `Utf8View` and dictionary-encoded strings become `String`;
//! - signed integers of every width become `Int`, unsigned ones `UInt`, floats (and decimals, as
//!   Datalayers' JSON prints them) `Float`;
//! - other types (dates, times, binary, lists, ...) become their text, as Arrow prints them.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, Schema, TimeUnit as ArrowTimeUnit};

use crate::query::{ColumnType, QueryError, QueryResult, TimeUnit, Value};

/// The cells of one column, read by row index.
type Cells<'a> = Box<dyn Fn(usize) -> Result<Value, String> + 'a>;

/// Converts record batches (all of `schema`) into a [`QueryResult`]: column names and types from
/// the schema, one row of [`Value`]s per Arrow row, batches in order.
///
/// A cell that cannot be represented (a timestamp outside the `i64` nanosecond range, years
/// 1677..2262) is an error naming its row and column, never a wrong value.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{RecordBatch, StringArray, TimestampMillisecondArray};
/// use arrow_schema::{DataType, Field, Schema, TimeUnit};
/// use datalayers_client::flight::to_query_result;
/// use datalayers_client::query::Value;
///
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, Some("Asia/Shanghai".into())), false),
///     Field::new("sn", DataType::Utf8, true),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(TimestampMillisecondArray::from(vec![1_725_281_958_180]).with_timezone("Asia/Shanghai")),
///     Arc::new(StringArray::from(vec![Some("a")])),
/// ])?;
/// let result = to_query_result(&schema, &[batch])?;
/// assert_eq!(result.rows[0], [Value::Timestamp(1_725_281_958_180_000_000), Value::String("a".into())]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_query_result(
    schema: &Schema,
    batches: &[RecordBatch],
) -> Result<QueryResult, QueryError> {
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types = schema
        .fields()
        .iter()
        .map(|f| column_type(f.data_type()))
        .collect();
    let total = batches.iter().map(RecordBatch::num_rows).sum();
    let mut rows = Vec::with_capacity(total);
    let mut first_row = 0;
    for batch in batches {
        if batch.num_columns() != columns.len() {
            return Err(QueryError::Decode(format!(
                "a record batch of {} columns in a result of {}",
                batch.num_columns(),
                columns.len()
            )));
        }
        let readers = batch
            .columns()
            .iter()
            .map(|array| cells(array.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(QueryError::Decode)?;
        for r in 0..batch.num_rows() {
            let mut row = Vec::with_capacity(readers.len());
            for (c, read) in readers.iter().enumerate() {
                row.push(read(r).map_err(|e| {
                    QueryError::Decode(format!("row {}, column {}: {e}", first_row + r, columns[c]))
                })?);
            }
            rows.push(row);
        }
        first_row += batch.num_rows();
    }
    Ok(QueryResult {
        columns,
        types,
        rows,
        ..QueryResult::default()
    })
}

/// The [`ColumnType`] of an Arrow type (dictionaries by their values).
pub fn column_type(data_type: &DataType) -> ColumnType {
    match data_type {
        DataType::Boolean => ColumnType::Bool,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => ColumnType::Int,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            ColumnType::UInt
        }
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ColumnType::Float,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnType::String,
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => ColumnType::Binary,
        DataType::Timestamp(unit, zone) => ColumnType::Timestamp {
            unit: time_unit(*unit),
            timezone: zone.as_deref().map(str::to_owned),
        },
        DataType::Dictionary(_, values) => column_type(values),
        other => ColumnType::Other(other.to_string()),
    }
}

fn time_unit(unit: ArrowTimeUnit) -> TimeUnit {
    match unit {
        ArrowTimeUnit::Second => TimeUnit::Second,
        ArrowTimeUnit::Millisecond => TimeUnit::Millisecond,
        ArrowTimeUnit::Microsecond => TimeUnit::Microsecond,
        ArrowTimeUnit::Nanosecond => TimeUnit::Nanosecond,
    }
}

/// A reader of `array`'s cells: `Null` where the array is null, else the typed value.
fn cells(array: &dyn Array) -> Result<Cells<'_>, String> {
    if *array.data_type() == DataType::Null {
        return Ok(Box::new(|_| Ok(Value::Null)));
    }
    let values = values(array)?;
    // Logical nulls: a dictionary's null keys and null values alike.
    Ok(match array.logical_nulls() {
        Some(nulls) if nulls.null_count() > 0 => Box::new(move |i| {
            if nulls.is_null(i) {
                Ok(Value::Null)
            } else {
                values(i)
            }
        }),
        _ => values,
    })
}

/// A reader of `array`'s non-null cells.
fn values(array: &dyn Array) -> Result<Cells<'_>, String> {
    macro_rules! primitive {
        ($type:ty, $variant:ident, $convert:expr) => {{
            let array = array.as_primitive::<$type>();
            Box::new(move |i| Ok(Value::$variant($convert(array.value(i)))))
        }};
    }
    macro_rules! timestamp {
        ($type:ty, $nanos:expr) => {{
            let array = array.as_primitive::<$type>();
            Box::new(move |i| {
                let raw = array.value(i);
                raw.checked_mul($nanos)
                    .map(Value::Timestamp)
                    .ok_or_else(|| format!("timestamp {raw} is outside the i64 nanosecond range"))
            })
        }};
    }
    Ok(match array.data_type() {
        DataType::Boolean => {
            let array = array.as_boolean();
            Box::new(move |i| Ok(Value::Bool(array.value(i))))
        }
        DataType::Int8 => primitive!(Int8Type, Int, i64::from),
        DataType::Int16 => primitive!(Int16Type, Int, i64::from),
        DataType::Int32 => primitive!(Int32Type, Int, i64::from),
        DataType::Int64 => primitive!(Int64Type, Int, i64::from),
        DataType::UInt8 => primitive!(UInt8Type, UInt, u64::from),
        DataType::UInt16 => primitive!(UInt16Type, UInt, u64::from),
        DataType::UInt32 => primitive!(UInt32Type, UInt, u64::from),
        DataType::UInt64 => primitive!(UInt64Type, UInt, u64::from),
        DataType::Float16 => primitive!(Float16Type, Float, f64::from),
        DataType::Float32 => primitive!(Float32Type, Float, f64::from),
        DataType::Float64 => primitive!(Float64Type, Float, f64::from),
        DataType::Timestamp(ArrowTimeUnit::Second, _) => {
            timestamp!(TimestampSecondType, 1_000_000_000)
        }
        DataType::Timestamp(ArrowTimeUnit::Millisecond, _) => {
            timestamp!(TimestampMillisecondType, 1_000_000)
        }
        DataType::Timestamp(ArrowTimeUnit::Microsecond, _) => {
            timestamp!(TimestampMicrosecondType, 1_000)
        }
        DataType::Timestamp(ArrowTimeUnit::Nanosecond, _) => {
            timestamp!(TimestampNanosecondType, 1)
        }
        DataType::Utf8 => {
            let array = array.as_string::<i32>();
            Box::new(move |i| Ok(Value::String(array.value(i).to_owned())))
        }
        DataType::LargeUtf8 => {
            let array = array.as_string::<i64>();
            Box::new(move |i| Ok(Value::String(array.value(i).to_owned())))
        }
        DataType::Utf8View => {
            let array = array.as_string_view();
            Box::new(move |i| Ok(Value::String(array.value(i).to_owned())))
        }
        DataType::Dictionary(..) => {
            let dictionary = array.as_any_dictionary();
            let keys = dictionary.normalized_keys();
            let values = cells(dictionary.values().as_ref())?;
            Box::new(move |i| values(keys[i]))
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => {
            let text = formatter(array)?;
            Box::new(move |i| {
                let shown = text.value(i).to_string();
                shown
                    .parse()
                    .map(Value::Float)
                    .map_err(|_| format!("decimal {shown} is not a number"))
            })
        }
        _ => {
            let text = formatter(array)?;
            Box::new(move |i| Ok(Value::String(text.value(i).to_string())))
        }
    })
}

fn formatter(array: &dyn Array) -> Result<ArrayFormatter<'_>, String> {
    ArrayFormatter::try_new(array, &FormatOptions::default())
        .map_err(|e| format!("cannot read a {} column: {e}", array.data_type()))
}
