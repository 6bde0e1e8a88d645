//! Metrics to line protocol: the `telegraf-prometheus-v1`, `telegraf-prometheus-v2` and `otel-v1` schemas.
