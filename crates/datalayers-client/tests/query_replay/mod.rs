//! The stand-in for Datalayers in protocol tests (Datalayers cannot be installed here; the canned
//! bodies are its documented response shapes): the crate's scripted HTTP server (`common`),
//! answering (status, JSON body) pairs in order, with requests read back as path, decoded query
//! parameters, headers and body text.

#![allow(dead_code, unreachable_pub)]

#[path = "../common/mod.rs"]
mod common;

use common::{Reply, ScriptedServer, Seen};
use datalayers_client::{Client, ClientConfig};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    seen: Seen,
    pub body: String,
}

impl Recorded {
    fn new(seen: Seen) -> Self {
        let url = reqwest::Url::parse(&format!("http://replay{}", seen.target)).unwrap();
        Self {
            method: seen.method.clone(),
            path: url.path().to_owned(),
            query: url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            body: String::from_utf8_lossy(&seen.body).into_owned(),
            seen,
        }
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.seen.header(name)
    }
}

/// The running server.
pub struct Replay {
    pub base_url: String,
    server: ScriptedServer,
}

impl Replay {
    /// Serves `responses` (status, JSON body) one per request, in order; after the last, 500.
    pub async fn start(responses: Vec<(u16, &str)>) -> Self {
        let script = responses
            .into_iter()
            .map(|(status, body)| {
                Reply::status(status)
                    .header("content-type", "application/json")
                    .body(body)
            })
            .collect();
        let server =
            ScriptedServer::start(script, |_| Reply::error(500, "no more canned responses")).await;
        Self {
            base_url: server.base_url.clone(),
            server,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server
            .requests()
            .into_iter()
            .map(Recorded::new)
            .collect()
    }

    /// A Datalayers client (database `demo`, `admin`/`public`) pointed at this server.
    pub fn client(&self) -> Client {
        Client::new(
            ClientConfig::new(&self.base_url)
                .with_database("demo")
                .with_basic_auth("admin", "public"),
        )
        .unwrap()
    }
}
