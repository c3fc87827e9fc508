//! Partition reassignment (KIP-455: AlterPartitionReassignments, ListPartitionReassignments), which
//! neither librdkafka nor rdkafka has, spoken directly with the `kafka-protocol` crate.
//!
//! One request per call on a fresh connection to a bootstrap broker (Kafka forwards both requests to
//! the active controller). Supported: PLAINTEXT connections. Not supported yet: SSL and SASL on this
//! connection; a cluster that needs them gets a clear error before anything is changed.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use kafka_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ApiKey, BrokerId,
    ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` of a broker.
    pub broker: String,
    /// Per-request deadline.
    pub timeout: Duration,
}

impl Target {
    /// The first bootstrap server, when the client properties ask for a connection this module can make.
    pub fn new(bootstrap: &str, security_protocol: Option<&str>, timeout: Duration) -> Result<Target, String> {
        match security_protocol.map(str::to_ascii_uppercase).as_deref() {
            None | Some("PLAINTEXT") => {}
            Some(other) => {
                return Err(format!(
                    "changing a replication factor needs partition reassignment, which this version of topicform \
                     sends over PLAINTEXT only, and the cluster uses {other}"
                ));
            }
        }
        let broker = bootstrap.split(',').map(str::trim).find(|s| !s.is_empty()).ok_or("no bootstrap server")?;
        Ok(Target { broker: broker.to_owned(), timeout })
    }
}

/// A per-partition or request-level error: Kafka's error name and message.
pub type Failure = (String, String);

/// A partition's new replica list: `(topic, partition, replicas)`.
pub type Move = (String, i32, Vec<i32>);

/// Submits new replica lists, `(topic, partition, replicas)`, in one request. Returns one result per
/// partition, in order.
pub async fn alter(target: &Target, moves: &[Move]) -> Result<Vec<Result<(), Failure>>, Failure> {
    let mut by_topic: BTreeMap<&str, Vec<&Move>> = BTreeMap::new();
    for m in moves {
        by_topic.entry(&m.0).or_default().push(m);
    }
    let mut request = AlterPartitionReassignmentsRequest::default();
    request.timeout_ms = i32::try_from(target.timeout.as_millis()).unwrap_or(i32::MAX);
    request.topics = by_topic
        .iter()
        .map(|(topic, moves)| {
            let mut t = ReassignableTopic::default();
            t.name = TopicName(StrBytes::from_string(topic.to_string()));
            t.partitions = moves
                .iter()
                .map(|(_, p, replicas)| {
                    let mut rp = ReassignablePartition::default();
                    rp.partition_index = *p;
                    rp.replicas = Some(replicas.iter().map(|b| BrokerId(*b)).collect());
                    rp
                })
                .collect();
            t
        })
        .collect();
    let response: AlterPartitionReassignmentsResponse =
        call(target, ApiKey::AlterPartitionReassignments, 0, &request).await?;
    if response.error_code != 0 {
        return Err(failure(response.error_code, response.error_message.as_ref().map(|m| m.to_string())));
    }
    let mut results: BTreeMap<(String, i32), Result<(), Failure>> = BTreeMap::new();
    for t in &response.responses {
        for p in &t.partitions {
            let outcome = if p.error_code == 0 {
                Ok(())
            } else {
                Err(failure(p.error_code, p.error_message.as_ref().map(|m| m.to_string())))
            };
            results.insert((t.name.0.to_string(), p.partition_index), outcome);
        }
    }
    Ok(moves
        .iter()
        .map(|(t, p, _)| {
            results
                .remove(&(t.clone(), *p))
                .unwrap_or_else(|| Err(("NO_RESULT".into(), "the controller's answer did not mention it".into())))
        })
        .collect())
}

/// The partitions of `topics` whose reassignment is still under way.
pub async fn ongoing(target: &Target, topics: &BTreeMap<String, Vec<i32>>) -> Result<Vec<(String, i32)>, Failure> {
    let mut request = ListPartitionReassignmentsRequest::default();
    request.timeout_ms = i32::try_from(target.timeout.as_millis()).unwrap_or(i32::MAX);
    request.topics = Some(
        topics
            .iter()
            .map(|(name, partitions)| {
                let mut t = ListPartitionReassignmentsTopics::default();
                t.name = TopicName(StrBytes::from_string(name.clone()));
                t.partition_indexes = partitions.clone();
                t
            })
            .collect(),
    );
    let response: ListPartitionReassignmentsResponse =
        call(target, ApiKey::ListPartitionReassignments, 0, &request).await?;
    if response.error_code != 0 {
        return Err(failure(response.error_code, response.error_message.as_ref().map(|m| m.to_string())));
    }
    Ok(response
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (t.name.0.to_string(), p.partition_index)))
        .collect())
}

fn failure(code: i16, message: Option<String>) -> Failure {
    let name = kafka_protocol::ResponseError::try_from_code(code)
        .map(|e| format!("{e:?}"))
        .unwrap_or_else(|| format!("ERROR_{code}"));
    (screaming(&name), message.unwrap_or_default())
}

/// `InvalidReplicaAssignment` -> `INVALID_REPLICA_ASSIGNMENT`, Kafka's spelling of error names.
fn screaming(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Sends one request and reads its response, within the target's deadline.
async fn call<Req, Resp>(target: &Target, key: ApiKey, version: i16, request: &Req) -> Result<Resp, Failure>
where
    Req: Encodable + HeaderVersion,
    Resp: Decodable,
{
    let io = |e: std::io::Error| ("_TRANSPORT".to_owned(), format!("{}: {e}", target.broker));
    let exchange = async {
        let mut stream = TcpStream::connect(&target.broker).await.map_err(io)?;
        let mut header = RequestHeader::default();
        header.request_api_key = key as i16;
        header.request_api_version = version;
        header.correlation_id = 1;
        header.client_id = Some(StrBytes::from_static_str("topicform"));
        let mut body = BytesMut::new();
        let encode = |e: anyhow::Error| ("_ENCODE".to_owned(), e.to_string());
        header.encode(&mut body, Req::header_version(version)).map_err(encode)?;
        request.encode(&mut body, version).map_err(encode)?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
        frame.extend_from_slice(&body);
        stream.write_all(&frame).await.map_err(io)?;

        let size = stream.read_i32().await.map_err(io)?;
        let size = usize::try_from(size).map_err(|_| ("_BAD_MSG".to_owned(), format!("response size {size}")))?;
        let mut buf = vec![0; size];
        stream.read_exact(&mut buf).await.map_err(io)?;
        let mut buf = bytes::Bytes::from(buf);
        let decode = |e: anyhow::Error| ("_BAD_MSG".to_owned(), e.to_string());
        let header = ResponseHeader::decode(&mut buf, key.response_header_version(version)).map_err(decode)?;
        if header.correlation_id != 1 {
            return Err(("_BAD_MSG".to_owned(), "the response does not answer the request".to_owned()));
        }
        let response = Resp::decode(&mut buf, version).map_err(decode)?;
        if buf.has_remaining() {
            return Err(("_BAD_MSG".to_owned(), "the response is longer than expected".to_owned()));
        }
        Ok(response)
    };
    tokio::time::timeout(target.timeout + Duration::from_secs(5), exchange)
        .await
        .unwrap_or_else(|_| Err(("_TIMED_OUT".to_owned(), format!("no answer from {}", target.broker))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names() {
        assert_eq!(screaming("InvalidReplicaAssignment"), "INVALID_REPLICA_ASSIGNMENT");
        assert_eq!(failure(39, None).0, "INVALID_REPLICA_ASSIGNMENT");
    }

    #[test]
    fn only_plaintext() {
        assert!(Target::new("a:1,b:2", None, Duration::from_secs(1)).is_ok_and(|t| t.broker == "a:1"));
        assert!(Target::new("a:1", Some("plaintext"), Duration::from_secs(1)).is_ok());
        let refused = Target::new("a:1", Some("SASL_SSL"), Duration::from_secs(1)).unwrap_err();
        assert!(refused.contains("SASL_SSL"), "{refused}");
    }
}
