//! The claim the crate docs make about duplicates, checked against a real InfluxDB 1.x: a
//! batch the database already took and that the queue replays (the process stopped before the
//! confirmation was saved) leaves the data exactly as it was.

use durable_queue::{Batch, Options, Queue, Signal};
use lineproto::{Dialect, Encoder, EncoderOptions};
use test_support::InfluxServer;

#[tokio::test]
async fn a_replayed_batch_leaves_influxdb_as_it_was() {
    let Some(server) = InfluxServer::try_start() else {
        return;
    };
    let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV1));
    for i in 0..100i64 {
        encoder
            .start_line("spans")
            .tag("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
            .tag("span_id", &format!("{:016x}", 0x1000 + i))
            .tag("service.name", "checkout")
            .field_str("name", "GET /cart\nsecond line")
            .field_i64("duration_nano", 1_000 + i);
        encoder
            .end_line(Some(1_700_000_000_000_000_000 + i))
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let snapshot = || server.query("SELECT * FROM spans");

    // The gateway appends, the writer sends the batch, and the process stops before confirming.
    let (queue, mut reader) = Queue::open(dir.path(), Options::new()).unwrap();
    let batch = Batch::new("otel", Signal::Traces, encoder.lines()).with_items(100);
    let seq = queue.append(&batch).await.unwrap();
    let record = reader.next(1 << 20).await.unwrap().remove(0);
    let (status, body) = server.write(record.bytes());
    assert_eq!(status, 204, "{body}");
    let first = snapshot();
    let rows = first["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rows, 100);
    queue.close().await;
    drop(reader);

    // After the restart the same record comes again and is written again.
    let (queue, mut reader) = Queue::open(dir.path(), Options::new()).unwrap();
    let replayed = reader.next(1 << 20).await.unwrap().remove(0);
    assert_eq!(replayed.seq(), seq);
    assert_eq!(replayed.bytes(), record.bytes());
    let (status, body) = server.write(replayed.bytes());
    assert_eq!(status, 204, "{body}");
    assert_eq!(snapshot(), first, "the second write changed the data");
    reader.confirm(seq).unwrap();
    queue.close().await;
}
