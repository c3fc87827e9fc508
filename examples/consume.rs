//! A minimal Kafka consumer: reads a topic and prints `partition offset key value` per record
//! (`-` when a record has no key).
//!
//! ```sh
//! cargo run --example consume -- orders.created.v1 --from-beginning --max 10 --timeout 5
//! ```
//!
//! The cluster is `--bootstrap`, else `$KAFKA_BOOTSTRAP`, else `127.0.0.1:9092`. It stops after
//! `--max N` records, or when nothing arrived for `--timeout SECONDS`, or on Ctrl-C (without either
//! option it runs until then). Exits 0, or 1 when the offsets cannot be committed at the end.
//!
//! Consumer groups and offsets, in short: every record of a partition has an offset (0, 1, 2, ...).
//! Consumers that share a group id split the partitions of a topic between them, and the group
//! remembers, per partition, the offset it has processed up to (a *commit*, stored by Kafka). A
//! consumer that joins the group later resumes from the committed offsets.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use tokio::time::{Instant, timeout_at};

/// Read records from a Kafka topic.
#[derive(Debug, Parser)]
struct Args {
    /// The topic to read.
    topic: String,
    /// Where the cluster is: one or more host:port, comma-separated.
    #[arg(long, env = "KAFKA_BOOTSTRAP", default_value = "127.0.0.1:9092")]
    bootstrap: String,
    /// The consumer group. Without it, a new group is made up for this run (like
    /// kafka-console-consumer), so `--from-beginning` always reads the whole topic.
    #[arg(long)]
    group: Option<String>,
    /// Where a group without committed offsets starts: at the oldest record instead of only new ones.
    /// A group that has committed offsets resumes from them either way.
    #[arg(long)]
    from_beginning: bool,
    /// Stop after this many records.
    #[arg(long, value_name = "N")]
    max: Option<u64>,
    /// Stop when no record arrived for this many seconds.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let group = args.group.clone().unwrap_or_else(|| {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        format!("consume-example-{}-{nanos}", std::process::id())
    });

    let consumer: StreamConsumer = match ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        .set("group.id", &group)
        // Only used when the group has no committed offset for a partition.
        .set("auto.offset.reset", if args.from_beginning { "earliest" } else { "latest" })
        // We commit ourselves, after printing a record: if we crash before the commit, the record is
        // read again next time (at-least-once) instead of being lost.
        .set("enable.auto.commit", "false")
        .create()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("consume: cannot create the consumer: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Joining the group happens in the background; Kafka then assigns partitions to this consumer.
    if let Err(e) = consumer.subscribe(&[&args.topic]) {
        eprintln!("consume: cannot subscribe to `{}`: {e}", args.topic);
        return ExitCode::FAILURE;
    }
    eprintln!("consume: reading `{}` as group `{group}`", args.topic);

    let idle = args.timeout.map(Duration::from_secs);
    // With --timeout: stop at this instant unless a record arrives first.
    let mut deadline = idle.map(|idle| Instant::now() + idle);
    let mut count = 0u64;
    let mut out = io::stdout().lock();
    while args.max.is_none_or(|max| count < max) {
        let received = match deadline {
            Some(deadline) => timeout_at(deadline, consumer.recv()).await,
            None => Ok(consumer.recv().await),
        };
        let message = match received {
            Err(_elapsed) => {
                eprintln!("consume: nothing arrived for {} s", args.timeout.unwrap_or_default());
                break;
            }
            // Errors such as an unknown topic or an unreachable broker: report them and keep waiting,
            // as the client retries by itself.
            Ok(Err(e)) => {
                eprintln!("consume: {e}");
                continue;
            }
            Ok(Ok(m)) => m,
        };
        let key = message.key().map_or("-".into(), String::from_utf8_lossy);
        let value = message.payload().map_or("".into(), String::from_utf8_lossy);
        if writeln!(out, "{} {} {key} {value}", message.partition(), message.offset()).is_err() {
            break; // stdout was closed (for example `| head`): stop reading
        }
        // Commit "processed up to here" for this record's partition. Async: do not wait for the answer.
        if let Err(e) = consumer.commit_message(&message, CommitMode::Async) {
            eprintln!("consume: commit failed: {e}");
        }
        count += 1;
        deadline = idle.map(|idle| Instant::now() + idle);
    }

    // Make sure the last commit reached Kafka before we leave the group.
    let mut code = ExitCode::SUCCESS;
    if count > 0 {
        match consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                eprintln!("consume: final commit failed: {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    eprintln!("consume: {count} record(s)");
    code
}
