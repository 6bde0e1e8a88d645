//! The stand-in for Datalayers in protocol tests (Datalayers cannot be installed here; the canned
//! bodies are its documented response shapes): `test-support`'s scripted HTTP server, and a real
//! `Client` pointed at it.

#![allow(dead_code, unreachable_pub)]

use datalayers_client::{Client, ClientConfig};
pub use test_support::scripted::Replay;

/// A Datalayers client (database `demo`, `admin`/`public`) pointed at a [`Replay`] server.
pub trait ReplayClient {
    /// The client.
    fn client(&self) -> Client;
}

impl ReplayClient for Replay {
    fn client(&self) -> Client {
        Client::new(
            ClientConfig::new(&self.base_url)
                .with_database("demo")
                .with_basic_auth("admin", "public"),
        )
        .unwrap()
    }
}
