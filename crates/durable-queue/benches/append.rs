//! Append throughput (written in the next commit).
fn main() {}
