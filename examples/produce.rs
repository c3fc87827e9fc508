//! A minimal Kafka producer: sends messages to a topic and prints where each one landed.
//!
//! ```sh
//! cargo run --example produce -- orders.created.v1 --key user-42 hello world
//! printf 'one\ntwo\n' | cargo run --example produce -- orders.created.v1   # one message per line
//! ```
//!
//! The cluster is `--bootstrap`, else `$KAFKA_BOOTSTRAP`, else `127.0.0.1:9092` (the one
//! `scripts/kafka-local start` runs). The topic must exist: create it with `topicform apply`.
//! Exits 1 when a message could not be delivered.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

/// Send messages to a Kafka topic.
#[derive(Debug, Parser)]
struct Args {
    /// The topic to write to.
    topic: String,
    /// Where the cluster is: one or more host:port, comma-separated.
    #[arg(long, env = "KAFKA_BOOTSTRAP", default_value = "127.0.0.1:9092")]
    bootstrap: String,
    /// The key of every message. Messages with the same key go to the same partition, in order.
    #[arg(long)]
    key: Option<String>,
    /// The messages; without any, each line of standard input is one message.
    messages: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();

    let producer: FutureProducer = match ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        // acks=all: the partition leader answers only once every in-sync replica has the message,
        // so a delivered message survives the loss of the leader. (acks=1 answers after the leader
        // alone wrote it; acks=0 does not wait at all.)
        .set("acks", "all")
        // Idempotence: the broker drops the duplicates that retries would otherwise create, and keeps
        // the order of the messages of a partition even when a retry happens.
        .set("enable.idempotence", "true")
        // How long the client keeps trying (retries included) before it reports a delivery as failed.
        .set("delivery.timeout.ms", "30000")
        // Topics are declared in git and created by `topicform apply`; a typo in the topic name must
        // fail here, not create a stray topic on a broker that allows auto-creation.
        .set("allow.auto.create.topics", "false")
        .create()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("produce: cannot create the producer: {e}");
            return ExitCode::FAILURE;
        }
    };

    // Check that the topic exists first: otherwise every message would wait the whole delivery
    // timeout before failing.
    match producer.client().fetch_metadata(Some(&args.topic), Duration::from_secs(10)) {
        Ok(metadata) => {
            if let Some(error) = metadata.topics().first().and_then(|t| t.error()) {
                eprintln!(
                    "produce: topic `{}`: {}; declare it in a topic file and run `topicform apply`",
                    args.topic,
                    RDKafkaErrorCode::from(error)
                );
                return ExitCode::FAILURE;
            }
        }
        Err(e) => {
            eprintln!("produce: cannot reach the cluster at {}: {e}", args.bootstrap);
            return ExitCode::FAILURE;
        }
    }

    // Messages from the command line, else one per line of standard input (read as they come).
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = if args.messages.is_empty() {
        Box::new(io::stdin().lock().lines())
    } else {
        Box::new(args.messages.into_iter().map(Ok))
    };

    let mut out = io::stdout().lock();
    for line in lines {
        let message = match line {
            Ok(m) => m,
            Err(e) => {
                eprintln!("produce: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut record: FutureRecord<'_, str, str> = FutureRecord::to(&args.topic).payload(&message);
        if let Some(key) = &args.key {
            record = record.key(key);
        }
        // `send` waits for the broker's answer. Waiting for each message in turn is the simplest way
        // to print every result in order; a busy producer would send many before waiting.
        // The second argument bounds the wait for room in the client's send queue, not the delivery.
        match producer.send(record, Duration::from_secs(5)).await {
            Ok(delivery) => {
                if writeln!(out, "delivered: partition {}, offset {}", delivery.partition, delivery.offset).is_err() {
                    return ExitCode::FAILURE; // stdout is closed; nobody sees the results
                }
            }
            Err((e, _message)) => {
                eprintln!("produce: delivery to `{}` failed: {e}", args.topic);
                return ExitCode::FAILURE;
            }
        }
    }

    // Every send was awaited above, so nothing should be pending; flush anyway before exiting.
    if let Err(e) = producer.flush(Duration::from_secs(10)) {
        eprintln!("produce: flush failed: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
