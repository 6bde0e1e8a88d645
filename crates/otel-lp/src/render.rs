//! Plain-text views of traces for terminals: the trace list and the waterfall.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use datalayers_client::query::Rfc3339;
use trace_query::{Placement, Span, Trace, TraceSummary};

/// A duration for people: `850ns`, `12.3µs`, `45.6ms`, `1.23s`, `2m03s`.
pub(crate) fn format_duration(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    let body = if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.1}µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else if ns < 60_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else {
        let seconds = ns / 1_000_000_000;
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    };
    format!("{sign}{body}")
}

/// A start time for the list: `2026-11-25 03:40:00.123` (UTC).
fn format_start(ns: i64) -> String {
    Rfc3339::millis(ns)
        .to_string()
        .replacen('T', " ", 1)
        .trim_end_matches('Z')
        .to_owned()
}

/// Cuts `text` to `width` characters, marking a cut with `…`.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            if i + 1 < widths.len() {
                text.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied(), &mut out);
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut out);
    }
    out
}

/// The trace list, like the ECP trace page: id, start (UTC), root service, root span, duration,
/// span count and an error mark.
pub(crate) fn render_trace_list(traces: &[TraceSummary]) -> String {
    if traces.is_empty() {
        return "no traces found\n".to_owned();
    }
    let rows: Vec<Vec<String>> = traces
        .iter()
        .map(|t| {
            vec![
                t.trace_id.to_string(),
                format_start(t.start_ns),
                fit(t.root_service.as_deref().unwrap_or("-"), 24),
                fit(t.root_span_name.as_deref().unwrap_or("-"), 40),
                format_duration(t.duration_ns),
                t.span_count.to_string(),
                if t.has_error {
                    "ERROR".to_owned()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    table(
        &[
            "TRACE ID",
            "START (UTC)",
            "SERVICE",
            "ROOT SPAN",
            "DURATION",
            "SPANS",
            "ERROR",
        ],
        &rows,
    )
}

/// How [`render_waterfall`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaterfallOptions {
    /// Characters of the time bar.
    pub(crate) bar_width: usize,
    /// Show attributes, events and links under each span.
    pub(crate) details: bool,
}

impl Default for WaterfallOptions {
    fn default() -> Self {
        Self {
            bar_width: 40,
            details: false,
        }
    }
}

/// The bar of a span: `[start, end)` of the trace scaled to `width` cells, at least one cell
/// (none when `width` is 0).
pub(crate) fn time_bar(trace_start: i64, trace_duration: i64, span: &Span, width: usize) -> String {
    if trace_duration <= 0 {
        // An instantaneous trace: every span is all of it.
        return "█".repeat(width);
    }
    let total = i128::from(trace_duration);
    let w = width as i128;
    if w == 0 {
        return String::new();
    }
    let offset = (span.start_ns - trace_start).max(0) as i128;
    let end = (offset + span.duration_ns.max(0) as i128).min(total);
    let from = (offset * w / total).clamp(0, w - 1) as usize;
    let to = ((end * w + total - 1) / total).clamp(from as i128 + 1, w) as usize;
    let mut bar = String::with_capacity(width * 3);
    bar.extend(std::iter::repeat_n(' ', from));
    bar.extend(std::iter::repeat_n('█', to - from));
    bar.extend(std::iter::repeat_n(' ', width - to));
    bar
}

fn status_text(span: &Span) -> String {
    match (span.status_code.as_deref(), span.status_message.as_deref()) {
        (Some(code), Some(message)) => {
            format!("{} {}", code.to_ascii_uppercase(), fit(message, 60))
        }
        (Some(code), None) => code.to_ascii_uppercase(),
        (None, Some(message)) => fit(message, 60),
        (None, None) => String::new(),
    }
}

fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write_attributes(out: &mut String, indent: &str, attributes: &Map<String, Json>) {
    for (key, value) in attributes {
        let _ = writeln!(out, "{indent}{key} = {}", json_text(value));
    }
}

/// The waterfall of one trace: tree-indented span names, service, start offset from the trace
/// start, duration, a bar proportional to time, and status. Spans whose parent is missing are
/// marked `[parent missing]`, a cut loop `[cycle]`.
pub(crate) fn render_waterfall(trace: &Trace, options: &WaterfallOptions) -> String {
    let start = trace.start_ns();
    let duration = trace.duration_ns();
    let services: std::collections::BTreeSet<&str> = trace
        .spans
        .iter()
        .filter_map(|s| s.service.as_deref())
        .collect();
    let errors = trace.spans.iter().filter(|s| s.is_error()).count();
    let mut out = format!(
        "trace {}  started {}  duration {}  {} span{}  {} service{}{}\n\n",
        trace.trace_id,
        Rfc3339::millis(start),
        format_duration(duration),
        trace.spans.len(),
        if trace.spans.len() == 1 { "" } else { "s" },
        services.len(),
        if services.len() == 1 { "" } else { "s" },
        if errors > 0 {
            format!("  {errors} with errors")
        } else {
            String::new()
        },
    );

    let rows: Vec<Vec<String>> = trace
        .tree
        .iter()
        .map(|entry| {
            let span = &trace.spans[entry.span];
            let marker = match entry.placement {
                Placement::MissingParent => " [parent missing]",
                Placement::Cycle => " [cycle]",
                Placement::Root | Placement::Child => "",
            };
            let name = if span.name.is_empty() {
                "(unnamed)"
            } else {
                &span.name
            };
            let indent = "  ".repeat(entry.depth.min(20));
            vec![
                format!("{indent}{}{marker}", fit(name, 48)),
                fit(span.service.as_deref().unwrap_or("-"), 24),
                format!("+{}", format_duration(span.start_ns - start)),
                format_duration(span.duration_ns),
                format!("|{}|", time_bar(start, duration, span, options.bar_width)),
                status_text(span),
            ]
        })
        .collect();
    let header = ["SPAN", "SERVICE", "START", "DURATION", "TIMELINE", "STATUS"];
    let rendered = table(&header, &rows);
    let mut lines = rendered.lines();
    if let Some(head) = lines.next() {
        out.push_str(head);
        out.push('\n');
    }
    for (entry, line) in trace.tree.iter().zip(lines) {
        out.push_str(line);
        out.push('\n');
        if options.details {
            write_details(&mut out, &trace.spans[entry.span], start, entry.depth);
        }
    }
    if !trace.unattached_events.is_empty() || !trace.unattached_links.is_empty() {
        let _ = writeln!(
            out,
            "\n{} event(s) and {} link(s) name spans that were not found",
            trace.unattached_events.len(),
            trace.unattached_links.len()
        );
    }
    for reason in &trace.skipped_rows {
        let _ = writeln!(out, "skipped row: {reason}");
    }
    out
}

fn write_details(out: &mut String, span: &Span, trace_start: i64, depth: usize) {
    let indent = "  ".repeat(depth.min(20) + 2);
    let inner = format!("{indent}  ");
    let _ = writeln!(
        out,
        "{indent}span_id {}{}{}",
        span.span_id,
        span.parent_span_id
            .as_deref()
            .map(|p| format!("  parent {p}"))
            .unwrap_or_default(),
        span.kind
            .as_deref()
            .map(|k| format!("  kind {k}"))
            .unwrap_or_default(),
    );
    if !span.attributes.is_empty() {
        let _ = writeln!(out, "{indent}attributes:");
        write_attributes(out, &inner, &span.attributes);
    }
    if let Some(raw) = &span.undecoded_attributes {
        let _ = writeln!(out, "{indent}attributes (not JSON): {raw}");
    }
    for (key, value) in &span.other {
        let _ = writeln!(out, "{indent}{key} = {value}");
    }
    for event in &span.events {
        let what = match (&event.name, &event.body) {
            (Some(name), _) => format!("event {name}"),
            (None, Some(body)) => {
                format!(
                    "log {}{body}",
                    event
                        .severity
                        .as_deref()
                        .map(|s| format!("[{s}] "))
                        .unwrap_or_default()
                )
            }
            (None, None) => "event".to_owned(),
        };
        let _ = writeln!(
            out,
            "{indent}+{} {what}",
            format_duration(event.time_ns - trace_start)
        );
        write_attributes(out, &inner, &event.attributes);
    }
    for link in &span.links {
        let _ = writeln!(
            out,
            "{indent}link -> trace {} span {}",
            link.linked_trace_id, link.linked_span_id
        );
        write_attributes(out, &inner, &link.attributes);
    }
}

#[cfg(test)]
mod tests;
