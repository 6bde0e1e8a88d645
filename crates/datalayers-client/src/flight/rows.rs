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

/// A cell that cannot be represented: its row in the array, and why.
type CellError = (usize, String);

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
        // Column by column: one match on each column's type, then a tight loop over its rows.
        let mut batch_rows: Vec<Vec<Value>> = (0..batch.num_rows())
            .map(|_| Vec::with_capacity(columns.len()))
            .collect();
        for (c, array) in batch.columns().iter().enumerate() {
            append_column(array.as_ref(), &mut RowSink(&mut batch_rows)).map_err(|(r, e)| {
                QueryError::Decode(format!("row {}, column {}: {e}", first_row + r, columns[c]))
            })?;
        }
        rows.append(&mut batch_rows);
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

/// Where a column's cells go: the `i`-th cell to the `i`-th row, or into one list.
trait CellSink {
    fn put(&mut self, i: usize, cell: Value);
}

/// The batch's rows: cell `i` ends row `i`.
struct RowSink<'a>(&'a mut [Vec<Value>]);

impl CellSink for RowSink<'_> {
    fn put(&mut self, i: usize, cell: Value) {
        self.0[i].push(cell);
    }
}

impl CellSink for Vec<Value> {
    fn put(&mut self, _: usize, cell: Value) {
        self.push(cell);
    }
}

/// Puts every cell of `array` into `sink`, in row order: `Null` where the array is (logically)
/// null, else the typed value.
fn append_column(array: &dyn Array, sink: &mut impl CellSink) -> Result<(), CellError> {
    if *array.data_type() == DataType::Null {
        (0..array.len()).for_each(|i| sink.put(i, Value::Null));
        return Ok(());
    }
    // Logical nulls: a dictionary's null keys and null values alike.
    let nulls = array.logical_nulls().filter(|n| n.null_count() > 0);
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    macro_rules! primitive {
        ($type:ty, $variant:ident, $convert:expr) => {{
            let array = array.as_primitive::<$type>();
            fill(array.len(), is_null, sink, |i| {
                Ok(Value::$variant($convert(array.value(i))))
            })
        }};
    }
    macro_rules! timestamp {
        ($type:ty, $nanos:expr) => {{
            let array = array.as_primitive::<$type>();
            fill(array.len(), is_null, sink, |i| {
                let raw = array.value(i);
                raw.checked_mul($nanos)
                    .map(Value::Timestamp)
                    .ok_or_else(|| format!("timestamp {raw} is outside the i64 nanosecond range"))
            })
        }};
    }
    macro_rules! text {
        ($array:expr) => {{
            let array = $array;
            fill(array.len(), is_null, sink, |i| {
                Ok(Value::String(array.value(i).to_owned()))
            })
        }};
    }
    match array.data_type() {
        DataType::Boolean => {
            let array = array.as_boolean();
            fill(array.len(), is_null, sink, |i| {
                Ok(Value::Bool(array.value(i)))
            })
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
        DataType::Utf8 => text!(array.as_string::<i32>()),
        DataType::LargeUtf8 => text!(array.as_string::<i64>()),
        DataType::Utf8View => text!(array.as_string_view()),
        DataType::Dictionary(..) => {
            // The (few) distinct values once, then each row's by its key; a value that cannot
            // be represented is reported at the first row that uses it.
            let dictionary = array.as_any_dictionary();
            let keys = dictionary.normalized_keys();
            let values = dictionary.values();
            let mut distinct: Vec<Value> = Vec::with_capacity(values.len());
            let value_error = append_column(values.as_ref(), &mut distinct).err();
            fill(array.len(), is_null, sink, |i| {
                match (&value_error, distinct.get(keys[i])) {
                    (_, Some(value)) => Ok(value.clone()),
                    (Some((_, e)), None) => Err(e.clone()),
                    (None, None) => Err(format!("dictionary key {} out of range", keys[i])),
                }
            })
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => {
            let text = formatter(array).map_err(|e| (0, e))?;
            fill(array.len(), is_null, sink, |i| {
                let shown = text.value(i).to_string();
                shown
                    .parse()
                    .map(Value::Float)
                    .map_err(|_| format!("decimal {shown} is not a number"))
            })
        }
        _ => {
            let text = formatter(array).map_err(|e| (0, e))?;
            fill(array.len(), is_null, sink, |i| {
                Ok(Value::String(text.value(i).to_string()))
            })
        }
    }
}

/// Puts `value(i)` for each of `len` rows into `sink`, or `Null` where `is_null(i)`.
fn fill(
    len: usize,
    is_null: impl Fn(usize) -> bool,
    sink: &mut impl CellSink,
    mut value: impl FnMut(usize) -> Result<Value, String>,
) -> Result<(), CellError> {
    for i in 0..len {
        let cell = if is_null(i) {
            Value::Null
        } else {
            value(i).map_err(|e| (i, e))?
        };
        sink.put(i, cell);
    }
    Ok(())
}

fn formatter(array: &dyn Array) -> Result<ArrayFormatter<'_>, String> {
    ArrayFormatter::try_new(array, &FormatOptions::default())
        .map_err(|e| format!("cannot read a {} column: {e}", array.data_type()))
}
