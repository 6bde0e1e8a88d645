//! The `influxd` configuration file the harness generates.
//!
//! Everything lives in the server's temp dir and binds to loopback ports chosen by the harness;
//! every optional listener is switched off so parallel servers never compete for a fixed port.

use std::fmt::Write as _;
use std::path::Path;

/// An ordered TOML document: a root table, then `[table]` / `[[array]]` sections.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    sections: Vec<Section>,
}

#[derive(Debug, Clone)]
struct Section {
    /// Empty for the root table.
    name: String,
    /// `[[name]]` instead of `[name]`.
    array: bool,
    /// Keys and raw TOML values.
    entries: Vec<(String, String)>,
}

impl Config {
    /// The harness's base configuration for a server living in `dir`.
    pub(crate) fn new(dir: &Path, http_port: u16, rpc_port: u16) -> Self {
        let path = |leaf: &str| toml_string(&dir.join(leaf).to_string_lossy());
        let mut config = Self {
            sections: Vec::new(),
        };
        // Upstream 1.x spells it `reporting-disabled`; Debian's package patched it into
        // `reporting-enabled`. influxd ignores the key it does not know, so set both.
        config.set("", "reporting-disabled", "true");
        config.set("", "reporting-enabled", "false");
        // The RPC service (backup/restore) cannot be switched off: give it its own port.
        config.set(
            "",
            "bind-address",
            &toml_string(&format!("127.0.0.1:{rpc_port}")),
        );
        config.set("meta", "dir", &path("meta"));
        config.set("data", "dir", &path("data"));
        config.set("data", "wal-dir", &path("wal"));
        // Keeps a replayed WAL small and startup fast; the WAL is still fsynced on every write.
        config.set("data", "query-log-enabled", "false");
        config.set(
            "http",
            "bind-address",
            &toml_string(&format!("127.0.0.1:{http_port}")),
        );
        // No `_internal` database written every 10 s behind the tests' back.
        config.set("monitor", "store-enabled", "false");
        config.set("subscriber", "enabled", "false");
        config.set("logging", "format", "\"logfmt\"");
        config.set("logging", "suppress-logo", "true");
        // Listeners that would otherwise bind a fixed port (they are off by default in 1.6, but
        // a packaged default may differ between versions, so say it explicitly).
        config.set("ifql", "enabled", "false");
        for service in ["graphite", "collectd", "opentsdb", "udp"] {
            config.set_array(service, "enabled", "false");
        }
        config
    }

    /// Sets `key` in `[table]` (`""` is the root table) to a raw TOML `value`, replacing an
    /// earlier value of the same key.
    pub(crate) fn set(&mut self, table: &str, key: &str, value: &str) {
        self.entry(table, false, key, value);
    }

    fn set_array(&mut self, table: &str, key: &str, value: &str) {
        self.entry(table, true, key, value);
    }

    fn entry(&mut self, table: &str, array: bool, key: &str, value: &str) {
        let index = match self.sections.iter().position(|s| s.name == table) {
            Some(index) => index,
            None => {
                self.sections.push(Section {
                    name: table.to_owned(),
                    array,
                    entries: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        let entries = &mut self.sections[index].entries;
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => value.clone_into(&mut entry.1),
            None => entries.push((key.to_owned(), value.to_owned())),
        }
    }

    /// The TOML text (root keys first, as TOML requires).
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        let root = self.sections.iter().filter(|s| s.name.is_empty());
        for section in root.chain(self.sections.iter().filter(|s| !s.name.is_empty())) {
            if !section.name.is_empty() {
                let (open, close) = if section.array {
                    ("[[", "]]")
                } else {
                    ("[", "]")
                };
                let _ = writeln!(text, "\n{open}{}{close}", section.name);
            }
            for (key, value) in &section.entries {
                let _ = writeln!(text, "{key} = {value}");
            }
        }
        text
    }
}

/// A TOML basic string holding `text`.
pub(crate) fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_root_keys_first_and_overrides_in_place() {
        let mut config = Config::new(Path::new("srv"), 1001, 1002);
        config.set("http", "max-body-size", "64");
        config.set("http", "bind-address", "\"127.0.0.1:1003\"");
        config.set("", "extra-root", "1");
        let text = config.render();

        let first_table = text.find('[').unwrap();
        assert!(text.find("extra-root = 1").unwrap() < first_table);
        assert!(text.contains("bind-address = \"127.0.0.1:1002\""));
        assert!(text.contains("\n[http]\nbind-address = \"127.0.0.1:1003\"\nmax-body-size = 64\n"));
        assert!(!text.contains("1001"));
        assert!(text.contains("\n[[udp]]\nenabled = false\n"));
        assert!(text.contains(&format!(
            "wal-dir = {}",
            toml_string(&Path::new("srv").join("wal").to_string_lossy())
        )));
    }

    #[test]
    fn quotes_toml_strings() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(toml_string("x\ny"), r#""x\u000Ay""#);
    }
}
