//! Datalayers `CREATE TABLE` statements for the stable-columns mode.
//!
//! With Datalayers' default `auto_alter_table = false` a table cannot gain columns after it is
//! created, and tag keys (its partition key) can never change. In stable-columns mode every
//! `spans`, `logs` and `span-links` line writes the same tag keys (missing values as
//! [`PLACEHOLDER`](crate::PLACEHOLDER)) and only the fields declared here, so creating the
//! tables up front with these statements makes every later write fit.

use std::fmt::Write as _;

use crate::{ConfigError, MappingConfig, Plans, lines::LinePlan, schema::FieldType};

/// Default number of hash partitions per table.
pub const DEFAULT_PARTITIONS: u32 = 1;

/// Table options of the generated DDL: `DdlOptions::default()` and the `with_*` methods (the
/// struct is `#[non_exhaustive]`: new options may come, with defaults that keep the DDL as it
/// was).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DdlOptions {
    /// Qualifies table names (`` `db`.`spans` ``); `None` uses the session's database.
    pub database: Option<String>,
    /// `PARTITIONS n` of `PARTITION BY HASH(<tag columns>)`. Default [`DEFAULT_PARTITIONS`].
    pub partitions: u32,
    /// `WITH (ttl='...')`, e.g. `7d`, `12h`; `None`: keep forever.
    pub ttl: Option<String>,
}

impl Default for DdlOptions {
    fn default() -> Self {
        Self {
            database: None,
            partitions: DEFAULT_PARTITIONS,
            ttl: None,
        }
    }
}

impl DdlOptions {
    /// Qualifies the table names with `database`.
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Sets the number of hash partitions (0 is written as 1).
    pub fn with_partitions(mut self, partitions: u32) -> Self {
        self.partitions = partitions;
        self
    }

    /// Sets the tables' time to live, e.g. `7d`, `12h`.
    pub fn with_ttl(mut self, ttl: impl Into<String>) -> Self {
        self.ttl = Some(ttl.into());
        self
    }
}

/// One `CREATE TABLE IF NOT EXISTS` statement per measurement the trace and log mapping writes
/// (`spans`, `logs`, `span-links`), matching what `config` writes with `stable_columns = true`:
/// `time TIMESTAMP(9) NOT NULL` as `TIMESTAMP KEY`, one `STRING NOT NULL` column per tag key,
/// one nullable typed column per field (`STRING`, `INT64`, and `UINT64`, or `INT64` for a
/// dialect without unsigned integers), `PARTITION BY HASH(<tag columns>)`, `ENGINE=TimeSeries`.
/// Names are backtick-quoted (dotted names such as `service.name` need it).
///
/// Metric measurements are named after the metrics themselves, so they are not covered.
///
/// ```
/// use otlp_influx::{DdlOptions, MappingConfig, stable_columns_ddl};
/// let config = MappingConfig::default().with_stable_columns(true);
/// let ddl = stable_columns_ddl(&config, &DdlOptions::default().with_ttl("7d"))?;
/// assert_eq!(ddl.len(), 3);
/// assert!(ddl[0].starts_with("CREATE TABLE IF NOT EXISTS `spans` (\n  `time` TIMESTAMP(9) NOT NULL,\n  `service.name` STRING NOT NULL,"));
/// assert!(ddl[0].ends_with("PARTITION BY HASH(`service.name`, `span.name`, `span_id`, `trace_id`) PARTITIONS 1\nENGINE=TimeSeries\nWITH (ttl='7d')"));
/// # Ok::<(), otlp_influx::ConfigError>(())
/// ```
pub fn stable_columns_ddl(
    config: &MappingConfig,
    options: &DdlOptions,
) -> Result<Vec<String>, ConfigError> {
    let config = MappingConfig {
        stable_columns: true,
        ..config.clone()
    };
    config.validate()?;
    let plans = Plans::new(&config)?;
    let unsigned = config.encoder.dialect.supports_unsigned();
    Ok([&plans.spans, &plans.log_records, &plans.links]
        .into_iter()
        .map(|plan| create_table(plan, unsigned, options))
        .collect())
}

fn create_table(plan: &LinePlan, unsigned: bool, options: &DdlOptions) -> String {
    let mut sql = String::from("CREATE TABLE IF NOT EXISTS ");
    if let Some(db) = &options.database {
        push_ident(&mut sql, db);
        sql.push('.');
    }
    push_ident(&mut sql, plan.measurement);
    sql.push_str(" (\n  `time` TIMESTAMP(9) NOT NULL,\n");
    for slot in &plan.slots {
        sql.push_str("  ");
        push_ident(&mut sql, &slot.key);
        sql.push_str(" STRING NOT NULL,\n");
    }
    for (key, kind) in plan.fields {
        if plan.slots.iter().any(|s| s.key == *key) {
            continue; // a tag column in this configuration
        }
        sql.push_str("  ");
        push_ident(&mut sql, key);
        sql.push_str(match kind {
            FieldType::String => " STRING,\n",
            FieldType::Int => " INT64,\n",
            FieldType::UInt if unsigned => " UINT64,\n",
            FieldType::UInt => " INT64,\n",
        });
    }
    sql.push_str("  TIMESTAMP KEY(`time`)\n)\nPARTITION BY HASH(");
    for (i, slot) in plan.slots.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_ident(&mut sql, &slot.key);
    }
    let _ = write!(
        sql,
        ") PARTITIONS {}\nENGINE=TimeSeries",
        options.partitions.max(1)
    );
    if let Some(ttl) = &options.ttl {
        sql.push_str("\nWITH (ttl='");
        sql.push_str(&ttl.replace('\'', "''"));
        sql.push_str("')");
    }
    sql
}

/// A backtick-quoted identifier (a backtick inside is doubled).
fn push_ident(sql: &mut String, name: &str) {
    sql.push('`');
    sql.push_str(&name.replace('`', "``"));
    sql.push('`');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_statements_are_exact() {
        let config = MappingConfig {
            stable_columns: true,
            ..MappingConfig::default()
        };
        let options = DdlOptions::default()
            .with_database("otel")
            .with_partitions(4)
            .with_ttl("7d");
        assert_eq!(
            options,
            DdlOptions {
                database: Some("otel".into()),
                partitions: 4,
                ttl: Some("7d".into()),
            }
        );
        let ddl = stable_columns_ddl(&config, &options).unwrap();
        assert_eq!(
            ddl[0],
            "CREATE TABLE IF NOT EXISTS `otel`.`spans` (
  `time` TIMESTAMP(9) NOT NULL,
  `service.name` STRING NOT NULL,
  `span.name` STRING NOT NULL,
  `span_id` STRING NOT NULL,
  `trace_id` STRING NOT NULL,
  `attributes` STRING,
  `dropped_attributes_count` UINT64,
  `dropped_events_count` UINT64,
  `dropped_links_count` UINT64,
  `duration_nano` INT64,
  `end_time_unix_nano` INT64,
  `otel.status_code` STRING,
  `otel.status_description` STRING,
  `parent_span_id` STRING,
  `span.kind` STRING,
  `trace_state` STRING,
  TIMESTAMP KEY(`time`)
)
PARTITION BY HASH(`service.name`, `span.name`, `span_id`, `trace_id`) PARTITIONS 4
ENGINE=TimeSeries
WITH (ttl='7d')"
        );
        assert_eq!(
            ddl[1],
            "CREATE TABLE IF NOT EXISTS `otel`.`logs` (
  `time` TIMESTAMP(9) NOT NULL,
  `service.name` STRING NOT NULL,
  `span_id` STRING NOT NULL,
  `trace_id` STRING NOT NULL,
  `attributes` STRING,
  `body` STRING,
  `dropped_attributes_count` UINT64,
  `event.name` STRING,
  `observed_time_unix_nano` INT64,
  `severity_number` INT64,
  `severity_text` STRING,
  TIMESTAMP KEY(`time`)
)
PARTITION BY HASH(`service.name`, `span_id`, `trace_id`) PARTITIONS 4
ENGINE=TimeSeries
WITH (ttl='7d')"
        );
        assert_eq!(
            ddl[2],
            "CREATE TABLE IF NOT EXISTS `otel`.`span-links` (
  `time` TIMESTAMP(9) NOT NULL,
  `linked_span_id` STRING NOT NULL,
  `linked_trace_id` STRING NOT NULL,
  `span_id` STRING NOT NULL,
  `trace_id` STRING NOT NULL,
  `attributes` STRING,
  `dropped_attributes_count` UINT64,
  `trace_state` STRING,
  TIMESTAMP KEY(`time`)
)
PARTITION BY HASH(`linked_span_id`, `linked_trace_id`, `span_id`, `trace_id`) PARTITIONS 4
ENGINE=TimeSeries"
                .replace("ENGINE=TimeSeries", "ENGINE=TimeSeries\nWITH (ttl='7d')")
        );
    }

    #[test]
    fn unsigned_columns_follow_the_dialect_and_names_are_quoted() {
        let config = MappingConfig {
            encoder: lineproto::EncoderOptions::new(lineproto::Dialect::InfluxDbV1),
            log_record_dimensions: vec!["odd`name".into()],
            ..MappingConfig::default()
        };
        let ddl = stable_columns_ddl(
            &config,
            &DdlOptions {
                ttl: Some("1'd".into()),
                partitions: 0,
                ..DdlOptions::default()
            },
        )
        .unwrap();
        assert!(ddl[1].contains("`dropped_attributes_count` INT64,"));
        assert!(ddl[1].contains("`odd``name` STRING NOT NULL,"));
        assert!(ddl[1].contains("PARTITIONS 1\n"));
        assert!(ddl[1].ends_with("WITH (ttl='1''d')"));
        assert!(!ddl.iter().any(|s| s.contains("UINT64")));
    }
}
