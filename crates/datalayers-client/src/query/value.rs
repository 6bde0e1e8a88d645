//! Typed cells and column types of query results.

use std::fmt;

use serde_json::Value as Json;

use super::time::{Rfc3339, parse_timestamp_lenient};

/// One cell of a query result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL` / JSON `null` / a field absent from an InfluxDB point.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (Datalayers `UINT*` columns).
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    String(String),
    /// An instant in Unix nanoseconds (UTC).
    Timestamp(i64),
}

impl Value {
    /// `true` for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The text of a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as `i64` when it is an integer, an integral float, an in-range unsigned integer
    /// or a timestamp (InfluxDB's JSON cannot tell `1.0` from `1`, so integral floats count).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::Int(v) | Self::Timestamp(v) => Some(v),
            Self::UInt(v) => i64::try_from(v).ok(),
            Self::Float(v) if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 => {
                Some(v as i64)
            }
            _ => None,
        }
    }

    /// The value as `f64` for any number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::Int(v) => Some(v as f64),
            Self::UInt(v) => Some(v as f64),
            Self::Float(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// The instant of a timestamp cell, in Unix nanoseconds. Integers count as nanoseconds (what
    /// InfluxDB returns with `epoch=ns`) and strings are parsed as RFC3339.
    pub fn as_timestamp_ns(&self) -> Option<i64> {
        match self {
            Self::Timestamp(v) | Self::Int(v) => Some(*v),
            Self::String(s) => parse_timestamp_lenient(s).ok(),
            _ => None,
        }
    }

    /// Decodes a JSON cell without a declared type: numbers without a fraction or exponent become
    /// integers, others floats; objects and arrays are kept as their JSON text.
    pub fn from_json(json: &Json) -> Self {
        match json {
            Json::Null => Self::Null,
            Json::Bool(b) => Self::Bool(*b),
            Json::Number(n) => number(n),
            Json::String(s) => Self::String(s.clone()),
            other => Self::String(other.to_string()),
        }
    }

    /// Decodes a JSON cell as a column of type `ty`. Numbers may arrive as JSON numbers or as
    /// strings (older Datalayers versions print `UInt64` as `"1"`); timestamps as RFC3339 text or
    /// as integers in the column's unit. A cell that does not fit its type is an error, never a
    /// silently wrong value.
    pub fn from_typed_json(json: &Json, ty: &ColumnType) -> Result<Self, String> {
        let mismatch = || format!("value {json} does not fit column type {ty}");
        Ok(match (ty, json) {
            (_, Json::Null) => Self::Null,
            (ColumnType::Bool, Json::Bool(b)) => Self::Bool(*b),
            (ColumnType::Bool, Json::String(s)) => match s.as_str() {
                "true" | "TRUE" | "True" => Self::Bool(true),
                "false" | "FALSE" | "False" => Self::Bool(false),
                _ => return Err(mismatch()),
            },
            (ColumnType::Int, Json::Number(n)) => Self::Int(n.as_i64().ok_or_else(mismatch)?),
            (ColumnType::Int, Json::String(s)) => {
                Self::Int(s.trim().parse().map_err(|_| mismatch())?)
            }
            (ColumnType::UInt, Json::Number(n)) => Self::UInt(n.as_u64().ok_or_else(mismatch)?),
            (ColumnType::UInt, Json::String(s)) => {
                Self::UInt(s.trim().parse().map_err(|_| mismatch())?)
            }
            (ColumnType::Float, Json::Number(n)) => Self::Float(n.as_f64().ok_or_else(mismatch)?),
            (ColumnType::Float, Json::String(s)) => {
                Self::Float(parse_float(s).ok_or_else(mismatch)?)
            }
            (ColumnType::Timestamp { .. }, Json::String(s)) => {
                Self::Timestamp(parse_timestamp_lenient(s).map_err(|e| e.to_string())?)
            }
            (ColumnType::Timestamp { unit, .. }, Json::Number(n)) => {
                let raw = n.as_i64().ok_or_else(mismatch)?;
                Self::Timestamp(raw.checked_mul(unit.nanos()).ok_or_else(mismatch)?)
            }
            (ColumnType::String, Json::String(s)) => Self::String(s.clone()),
            // Text, binary, dates and unknown types: keep what the JSON says.
            (ColumnType::String | ColumnType::Binary | ColumnType::Other(_), _) => {
                Self::from_json(json)
            }
            _ => return Err(mismatch()),
        })
    }
}

fn number(n: &serde_json::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Int(i)
    } else if let Some(u) = n.as_u64() {
        Value::UInt(u)
    } else {
        Value::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s.trim() {
        "NaN" => Some(f64::NAN),
        "inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Bool(v) => write!(f, "{v}"),
            Self::Int(v) => write!(f, "{v}"),
            Self::UInt(v) => write!(f, "{v}"),
            Self::Float(v) => write!(f, "{v}"),
            Self::String(v) => f.write_str(v),
            Self::Timestamp(v) => write!(f, "{}", Rfc3339::new(*v)),
        }
    }
}

/// The unit of a timestamp column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// `TIMESTAMP(0)`, `Timestamp(Second, ..)`.
    Second,
    /// `TIMESTAMP(3)` (the Datalayers default), `Timestamp(Millisecond, ..)`.
    Millisecond,
    /// `TIMESTAMP(6)`, `Timestamp(Microsecond, ..)`.
    Microsecond,
    /// `TIMESTAMP(9)`, `Timestamp(Nanosecond, ..)`.
    Nanosecond,
}

impl TimeUnit {
    /// Nanoseconds in one unit.
    pub fn nanos(self) -> i64 {
        match self {
            Self::Second => 1_000_000_000,
            Self::Millisecond => 1_000_000,
            Self::Microsecond => 1_000,
            Self::Nanosecond => 1,
        }
    }
}

/// The type of a result column, from either spelling Datalayers has used in `types`: SQL names
/// (`TIMESTAMP(3)`, `INT32`, `REAL`, `STRING`) in current versions, Arrow names
/// (`Timestamp(Millisecond, Asia/Shanghai)`, `UInt64`, `Utf8`) in 2024 versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// `BOOLEAN`, `BOOL`, `Boolean`.
    Bool,
    /// Signed integers of any width.
    Int,
    /// Unsigned integers of any width.
    UInt,
    /// Floats of any width.
    Float,
    /// `STRING`, `VARCHAR`, `Utf8`, `LargeUtf8`, `Utf8View`.
    String,
    /// `BINARY`, `Binary`, `LargeBinary`.
    Binary,
    /// A timestamp with its unit and, when printed, its time zone.
    Timestamp {
        /// Unit of numeric values.
        unit: TimeUnit,
        /// Time zone named by the type, if any (`Asia/Shanghai`, `+08:00`).
        timezone: Option<String>,
    },
    /// Anything else (`DATE`, `VECTOR(3)`, ...), kept as spelled.
    Other(String),
}

impl ColumnType {
    /// Reads a type name in either spelling (case-insensitive).
    pub fn parse(spelling: &str) -> Self {
        let text = spelling.trim();
        let upper = text.to_ascii_uppercase();
        let compact: String = upper.chars().filter(|c| !c.is_whitespace()).collect();
        match compact.as_str() {
            "BOOL" | "BOOLEAN" => return Self::Bool,
            "INT8" | "TINYINT" | "INT16" | "SMALLINT" | "INT32" | "INT" | "INTEGER" | "INT64"
            | "BIGINT" => return Self::Int,
            "UINT8" | "UINT16" | "UINT32" | "UINT64" | "TINYINTUNSIGNED" | "SMALLINTUNSIGNED"
            | "INTUNSIGNED" | "INTEGERUNSIGNED" | "BIGINTUNSIGNED" => return Self::UInt,
            "FLOAT16" | "FLOAT32" | "FLOAT" | "REAL" | "FLOAT64" | "DOUBLE" => return Self::Float,
            "STRING" | "VARCHAR" | "TEXT" | "UTF8" | "LARGEUTF8" | "UTF8VIEW" => {
                return Self::String;
            }
            "BINARY" | "LARGEBINARY" | "BINARYVIEW" | "VARBINARY" => return Self::Binary,
            "TIMESTAMP" => {
                return Self::Timestamp {
                    unit: TimeUnit::Millisecond,
                    timezone: None,
                };
            }
            _ => {}
        }
        if let Some(args) = compact
            .strip_prefix("TIMESTAMP(")
            .and_then(|r| r.strip_suffix(')'))
        {
            // SQL spelling: TIMESTAMP(p) with p in 0, 3, 6, 9.
            let unit = match args {
                "0" => Some(TimeUnit::Second),
                "3" => Some(TimeUnit::Millisecond),
                "6" => Some(TimeUnit::Microsecond),
                "9" => Some(TimeUnit::Nanosecond),
                _ => None,
            };
            if let Some(unit) = unit {
                return Self::Timestamp {
                    unit,
                    timezone: None,
                };
            }
            // Arrow spelling: Timestamp(Unit, Zone) with Zone `None`, `Some("...")` or bare.
            let inner = &text[text.find('(').map_or(0, |i| i + 1)..text.len() - 1];
            let (unit_text, zone_text) = inner.split_once(',').unwrap_or((inner, "None"));
            let unit = match unit_text.trim().to_ascii_lowercase().as_str() {
                "second" => Some(TimeUnit::Second),
                "millisecond" => Some(TimeUnit::Millisecond),
                "microsecond" => Some(TimeUnit::Microsecond),
                "nanosecond" => Some(TimeUnit::Nanosecond),
                _ => None,
            };
            if let Some(unit) = unit {
                let zone = zone_text.trim();
                let zone = zone
                    .strip_prefix("Some(")
                    .and_then(|z| z.strip_suffix(')'))
                    .unwrap_or(zone)
                    .trim_matches('"');
                let timezone = (!zone.is_empty() && zone != "None").then(|| zone.to_owned());
                return Self::Timestamp { unit, timezone };
            }
        }
        Self::Other(text.to_owned())
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("BOOLEAN"),
            Self::Int => f.write_str("INT64"),
            Self::UInt => f.write_str("UINT64"),
            Self::Float => f.write_str("FLOAT64"),
            Self::String => f.write_str("STRING"),
            Self::Binary => f.write_str("BINARY"),
            Self::Timestamp { unit, timezone } => {
                let p = match unit {
                    TimeUnit::Second => 0,
                    TimeUnit::Millisecond => 3,
                    TimeUnit::Microsecond => 6,
                    TimeUnit::Nanosecond => 9,
                };
                write!(f, "TIMESTAMP({p})")?;
                match timezone {
                    Some(zone) => write!(f, " {zone}"),
                    None => Ok(()),
                }
            }
            Self::Other(s) => f.write_str(s),
        }
    }
}
