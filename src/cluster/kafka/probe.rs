//! What answers at an address, when librdkafka cannot talk to it: nothing, a Kafka listener (with or
//! without TLS), an HTTP server, ZooKeeper, or something else. Used only to explain a failed
//! connection ("likely cause"), never to decide anything.

use std::time::Duration;

use bytes::BytesMut;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, RequestHeader};
use kafka_protocol::protocol::{Encodable, HeaderVersion, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The connection was refused, or the host could not be reached.
    Closed,
    /// A Kafka listener without TLS.
    Kafka,
    /// A TLS server (a Kafka TLS listener, or any other).
    Tls,
    /// An HTTP server.
    Http,
    /// A ZooKeeper server.
    ZooKeeper,
    /// Something that accepted the connection and said nothing recognisable.
    Unknown,
}

/// Knocks at `address` within about `budget`: a Kafka ApiVersions request in plain text, then a TLS
/// ClientHello, then ZooKeeper's `srvr`, each on a fresh connection, stopping at the first answer it
/// recognises.
pub async fn knock(address: &str, budget: Duration) -> Door {
    let step = budget / 3;
    match tokio::time::timeout(step, plain_kafka(address)).await {
        Ok(Some(door)) => return door,
        Ok(None) => {}
        Err(_) => {}
    }
    if tokio::time::timeout(step, tls(address)).await.unwrap_or(false) {
        return Door::Tls;
    }
    if tokio::time::timeout(step, zookeeper(address)).await.unwrap_or(false) {
        return Door::ZooKeeper;
    }
    Door::Unknown
}

/// An ApiVersions v0 request in plain text: a Kafka plaintext listener answers it with a frame of the
/// same correlation id; HTTP and TLS servers answer in their own way; `None` when nothing came back.
async fn plain_kafka(address: &str) -> Option<Door> {
    let Ok(mut tcp) = TcpStream::connect(address).await else { return Some(Door::Closed) };
    let mut header = RequestHeader::default();
    header.request_api_key = ApiKey::ApiVersions as i16;
    header.request_api_version = 0;
    header.correlation_id = 0x7466; // "tf"
    header.client_id = Some(StrBytes::from_static_str("topicform-probe"));
    let mut body = BytesMut::new();
    header.encode(&mut body, ApiVersionsRequest::header_version(0)).ok()?;
    ApiVersionsRequest::default().encode(&mut body, 0).ok()?;
    let mut frame = (body.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    tcp.write_all(&frame).await.ok()?;
    let mut answer = [0u8; 16];
    let n = read_some(&mut tcp, &mut answer).await;
    classify(&answer[..n])
}

/// What a plain-text answer to a Kafka request says about the server.
fn classify(answer: &[u8]) -> Option<Door> {
    match answer {
        [] => None,
        [_, _, _, _, 0, 0, 0x74, 0x66, ..] => Some(Door::Kafka),
        [b'H', b'T', b'T', b'P', ..] => Some(Door::Http),
        // A TLS record: alert (21) or handshake (22), version 3.x.
        [21 | 22, 3, ..] => Some(Door::Tls),
        _ => Some(Door::Unknown),
    }
}

async fn read_some(tcp: &mut TcpStream, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match tcp.read(&mut buf[n..]).await {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
        if n >= 8 {
            break;
        }
    }
    n
}

/// Whether a TLS handshake completes (without checking the certificate: only the door matters here).
async fn tls(address: &str) -> bool {
    let Ok(tcp) = TcpStream::connect(address).await else { return false };
    let Ok(mut builder) = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client()) else {
        return false;
    };
    builder.set_verify(openssl::ssl::SslVerifyMode::NONE);
    let connector = builder.build();
    let Ok(config) = connector.configure() else { return false };
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h).trim_matches(['[', ']']);
    let Ok(ssl) = config.verify_hostname(false).use_server_name_indication(false).into_ssl(host) else {
        return false;
    };
    let Ok(mut stream) = tokio_openssl::SslStream::new(ssl, tcp) else { return false };
    std::pin::Pin::new(&mut stream).connect().await.is_ok()
}

/// Whether ZooKeeper answers its `srvr` command (or says it is not allowed, which is ZooKeeper too).
async fn zookeeper(address: &str) -> bool {
    let Ok(mut tcp) = TcpStream::connect(address).await else { return false };
    if tcp.write_all(b"srvr").await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.contains("Zookeeper version") || text.contains("is not executed because it is not in the whitelist")
}

/// A likely cause for a failed connection to `address`, given what answered there and the
/// `security.protocol` the cluster is set up with; `None` when the door is the right one or the knock
/// was inconclusive.
pub fn cause(address: &str, door: Door, protocol: &str) -> Option<String> {
    let tls_configured = matches!(protocol, "SSL" | "SASL_SSL");
    match door {
        Door::Closed => Some(format!(
            "nothing accepts connections at `{address}`: is the broker running, and is that its listener?"
        )),
        Door::ZooKeeper => Some(format!(
            "`{address}` is a ZooKeeper server, not a Kafka broker; `bootstrap` takes the brokers' listeners (often \
             port 9092): Kafka's clients never talk to ZooKeeper"
        )),
        Door::Http => Some(format!(
            "`{address}` answers HTTP, not the Kafka protocol (a REST proxy, a schema registry or a web console?); \
             `bootstrap` takes the brokers' listeners"
        )),
        Door::Tls if !tls_configured => Some(format!(
            "`{address}` is a TLS listener, but the cluster's `security.protocol` is {protocol}; set `security.protocol: \
             SSL` (or `SASL_SSL`) under the cluster's `client`, or use the broker's plaintext listener"
        )),
        Door::Kafka if tls_configured => Some(format!(
            "`{address}` is a Kafka listener without TLS, but the cluster's `security.protocol` is {protocol}; use \
             `PLAINTEXT` (or `SASL_PLAINTEXT`), or the broker's TLS listener"
        )),
        // Inconclusive (a slow TLS handshake, a server that stays silent): librdkafka's own cause, such as
        // a failed authentication, says more.
        Door::Unknown | Door::Kafka | Door::Tls => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        let cases: [(&[u8], Option<Door>); 6] = [
            (&[], None),
            (&[0, 0, 0, 20, 0, 0, 0x74, 0x66, 0, 0], Some(Door::Kafka)),
            (b"HTTP/1.1 400 Bad Request", Some(Door::Http)),
            (&[21, 3, 3, 0, 2, 2, 10], Some(Door::Tls)),
            (&[22, 3, 1, 0, 80], Some(Door::Tls)),
            (b"garbage!", Some(Door::Unknown)),
        ];
        for (answer, want) in cases {
            assert_eq!(classify(answer), want, "{answer:?}");
        }
    }

    #[test]
    fn causes_name_the_door_and_the_fix() {
        assert!(cause("h:2181", Door::ZooKeeper, "PLAINTEXT").unwrap().contains("ZooKeeper server"));
        assert!(cause("h:9093", Door::Tls, "PLAINTEXT").unwrap().contains("security.protocol: SSL"));
        assert!(cause("h:9092", Door::Kafka, "SSL").unwrap().contains("without TLS"));
        assert_eq!(cause("h:9093", Door::Tls, "SASL_SSL"), None);
        assert_eq!(cause("h:9092", Door::Kafka, "PLAINTEXT"), None);
        assert!(cause("h:1", Door::Closed, "PLAINTEXT").unwrap().contains("nothing accepts"));
        assert_eq!(cause("h:9094", Door::Unknown, "SASL_SSL"), None, "an inconclusive knock says nothing");
    }

    /// Real sockets on loopback: a closed port, an HTTP-ish server, a silent one.
    #[tokio::test]
    async fn knocks_on_real_sockets() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        assert_eq!(knock(&closed, Duration::from_secs(3)).await, Door::Closed);

        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = http.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = http.accept().await {
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            }
        });
        assert_eq!(knock(&address, Duration::from_secs(3)).await, Door::Http);
    }
}
