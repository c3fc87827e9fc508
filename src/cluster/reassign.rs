//! Partition reassignment (KIP-455: AlterPartitionReassignments, ListPartitionReassignments), which
//! neither librdkafka nor rdkafka has, spoken directly with the `kafka-protocol` crate.
//!
//! One request per call on a fresh connection to a bootstrap broker (Kafka forwards both requests to
//! the active controller), made with the same client properties as the librdkafka client:
//! `security.protocol` PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; TLS with `ssl.ca.location`,
//! `ssl.certificate.location` / `ssl.key.location` (mutual TLS), `enable.ssl.certificate.verification`
//! and `ssl.endpoint.identification.algorithm`; SASL mechanisms PLAIN, SCRAM-SHA-256 and
//! SCRAM-SHA-512. Not supported here: OAUTHBEARER and GSSAPI, and PEM or keystore material given inline
//! rather than as files; such a cluster gets a clear error before anything is changed.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use kafka_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ApiKey, BrokerId,
    ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, RequestHeader, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// How to reach a broker: its address, the connection's security, and the per-request deadline.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` of a broker.
    pub broker: String,
    /// Per-request deadline.
    pub timeout: Duration,
    tls: Option<Tls>,
    sasl: Option<Sasl>,
}

#[derive(Debug, Clone)]
struct Tls {
    ca: Option<String>,
    certificate: Option<String>,
    key: Option<String>,
    verify: bool,
    verify_hostname: bool,
}

#[derive(Clone)]
struct Sasl {
    mechanism: Mechanism,
    username: String,
    password: String,
}

// By hand, so the password never reaches a Debug print.
impl std::fmt::Debug for Sasl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sasl")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    Plain,
    Scram256,
    Scram512,
}

impl Target {
    /// The first bootstrap server, reached with `client` (librdkafka properties), when this module can
    /// make such a connection.
    pub fn new(bootstrap: &str, client: &BTreeMap<String, String>, timeout: Duration) -> Result<Target, String> {
        let get = |k: &str| client.get(k).map(String::as_str);
        let protocol = get("security.protocol").unwrap_or("PLAINTEXT").to_ascii_uppercase();
        let (tls, sasl) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (true, false),
            "SASL_PLAINTEXT" => (false, true),
            "SASL_SSL" => (true, true),
            other => return Err(format!("unknown security.protocol `{other}`")),
        };
        let unsupported = |what: &str| {
            format!(
                "changing a replication factor needs partition reassignment, which topicform sends itself, and \
                 it does not support {what}"
            )
        };
        for inline in ["ssl.ca.pem", "ssl.certificate.pem", "ssl.key.pem", "ssl.keystore.location"] {
            if tls && get(inline).is_some() {
                return Err(unsupported(&format!("`{inline}`; give the material as files (`ssl.ca.location`...)")));
            }
        }
        let tls = tls.then(|| Tls {
            ca: get("ssl.ca.location").map(str::to_owned),
            certificate: get("ssl.certificate.location").map(str::to_owned),
            key: get("ssl.key.location").map(str::to_owned),
            verify: get("enable.ssl.certificate.verification").is_none_or(|v| v != "false"),
            verify_hostname: get("ssl.endpoint.identification.algorithm")
                .is_none_or(|v| v.eq_ignore_ascii_case("https")),
        });
        let sasl = if sasl {
            let mechanism = match get("sasl.mechanism")
                .or(get("sasl.mechanisms"))
                .unwrap_or("GSSAPI")
                .to_ascii_uppercase()
                .as_str()
            {
                "PLAIN" => Mechanism::Plain,
                "SCRAM-SHA-256" => Mechanism::Scram256,
                "SCRAM-SHA-512" => Mechanism::Scram512,
                other => return Err(unsupported(&format!("SASL mechanism {other}"))),
            };
            let username = get("sasl.username").ok_or("`sasl.username` is not set")?.to_owned();
            let password = get("sasl.password").ok_or("`sasl.password` is not set")?.to_owned();
            Some(Sasl { mechanism, username, password })
        } else {
            None
        };
        let broker = bootstrap.split(',').map(str::trim).find(|s| !s.is_empty()).ok_or("no bootstrap server")?;
        Ok(Target { broker: broker.to_owned(), timeout, tls, sasl })
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
        exchange(target, ApiKey::AlterPartitionReassignments, 0, &request).await?;
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
        exchange(target, ApiKey::ListPartitionReassignments, 0, &request).await?;
    if response.error_code != 0 {
        return Err(failure(response.error_code, response.error_message.as_ref().map(|m| m.to_string())));
    }
    Ok(response
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (t.name.0.to_string(), p.partition_index)))
        .collect())
}

/// Connects, authenticates, sends one request and reads its response, within the target's deadline.
async fn exchange<Req, Resp>(target: &Target, key: ApiKey, version: i16, request: &Req) -> Result<Resp, Failure>
where
    Req: Encodable + HeaderVersion,
    Resp: Decodable,
{
    let exchange = async {
        let mut conn = Connection::open(target).await?;
        conn.request(key, version, request).await
    };
    tokio::time::timeout(target.timeout + Duration::from_secs(5), exchange)
        .await
        .unwrap_or_else(|_| Err(("_TIMED_OUT".to_owned(), format!("no answer from {}", target.broker))))
}

fn failure_with(code: i16, message: String) -> Failure {
    failure(code, Some(message))
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

/// A stream to a broker, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open, authenticated connection.
struct Connection {
    stream: Box<dyn Stream>,
    broker: String,
    correlation: i32,
}

impl Connection {
    async fn open(target: &Target) -> Result<Connection, Failure> {
        let io = |e: std::io::Error| ("_TRANSPORT".to_owned(), format!("{}: {e}", target.broker));
        let tcp = TcpStream::connect(&target.broker).await.map_err(io)?;
        let stream: Box<dyn Stream> = match &target.tls {
            None => Box::new(tcp),
            Some(tls) => Box::new(handshake(tcp, tls, &target.broker).await?),
        };
        let mut conn = Connection { stream, broker: target.broker.clone(), correlation: 0 };
        if let Some(sasl) = &target.sasl {
            conn.authenticate(sasl).await?;
        }
        Ok(conn)
    }

    /// Sends one request and reads its response.
    async fn request<Req, Resp>(&mut self, key: ApiKey, version: i16, request: &Req) -> Result<Resp, Failure>
    where
        Req: Encodable + HeaderVersion,
        Resp: Decodable,
    {
        let io = |e: std::io::Error| ("_TRANSPORT".to_owned(), format!("{}: {e}", self.broker));
        self.correlation += 1;
        let mut header = RequestHeader::default();
        header.request_api_key = key as i16;
        header.request_api_version = version;
        header.correlation_id = self.correlation;
        header.client_id = Some(StrBytes::from_static_str("topicform"));
        let mut body = BytesMut::new();
        let encode = |e: anyhow::Error| ("_ENCODE".to_owned(), e.to_string());
        header.encode(&mut body, Req::header_version(version)).map_err(encode)?;
        request.encode(&mut body, version).map_err(encode)?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).await.map_err(io)?;
        self.stream.flush().await.map_err(io)?;

        let size = self.stream.read_i32().await.map_err(io)?;
        let size = usize::try_from(size).map_err(|_| ("_BAD_MSG".to_owned(), format!("response size {size}")))?;
        let mut buf = vec![0; size];
        self.stream.read_exact(&mut buf).await.map_err(io)?;
        let mut buf = bytes::Bytes::from(buf);
        let decode = |e: anyhow::Error| ("_BAD_MSG".to_owned(), e.to_string());
        let header = ResponseHeader::decode(&mut buf, key.response_header_version(version)).map_err(decode)?;
        if header.correlation_id != self.correlation {
            return Err(("_BAD_MSG".to_owned(), "the response does not answer the request".to_owned()));
        }
        let response = Resp::decode(&mut buf, version).map_err(decode)?;
        if buf.has_remaining() {
            return Err(("_BAD_MSG".to_owned(), "the response is longer than expected".to_owned()));
        }
        Ok(response)
    }

    /// SaslHandshake, then SaslAuthenticate: once for PLAIN, twice for SCRAM (RFC 5802).
    async fn authenticate(&mut self, sasl: &Sasl) -> Result<(), Failure> {
        let name = match sasl.mechanism {
            Mechanism::Plain => "PLAIN",
            Mechanism::Scram256 => "SCRAM-SHA-256",
            Mechanism::Scram512 => "SCRAM-SHA-512",
        };
        let mut handshake = SaslHandshakeRequest::default();
        handshake.mechanism = StrBytes::from_static_str(name);
        let response: SaslHandshakeResponse = self.request(ApiKey::SaslHandshake, 1, &handshake).await?;
        if response.error_code != 0 {
            let offered: Vec<String> = response.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(failure_with(response.error_code, format!("the broker offers {}", offered.join(", "))));
        }
        match sasl.mechanism {
            Mechanism::Plain => {
                let token = format!("\0{}\0{}", sasl.username, sasl.password);
                self.sasl_round(token.into_bytes()).await?;
            }
            Mechanism::Scram256 | Mechanism::Scram512 => {
                let scram = Scram::new(sasl.mechanism, &sasl.username, &sasl.password);
                let server_first = self.sasl_round(scram.client_first().into_bytes()).await?;
                let (client_final, expected) = scram.client_final(&server_first)?;
                let server_final = self.sasl_round(client_final.into_bytes()).await?;
                if server_final != expected.into_bytes() {
                    return Err(("SASL_AUTHENTICATION_FAILED".into(), "the broker's SCRAM signature is wrong".into()));
                }
            }
        }
        Ok(())
    }

    async fn sasl_round(&mut self, bytes: Vec<u8>) -> Result<Vec<u8>, Failure> {
        let mut request = SaslAuthenticateRequest::default();
        request.auth_bytes = bytes::Bytes::from(bytes);
        let response: SaslAuthenticateResponse = self.request(ApiKey::SaslAuthenticate, 2, &request).await?;
        if response.error_code != 0 {
            let message = response.error_message.as_ref().map(|m| m.to_string()).unwrap_or_default();
            return Err(failure_with(response.error_code, message));
        }
        Ok(response.auth_bytes.to_vec())
    }
}

async fn handshake(tcp: TcpStream, tls: &Tls, broker: &str) -> Result<tokio_openssl::SslStream<TcpStream>, Failure> {
    let ssl_error = |e: &dyn std::fmt::Display| ("_SSL".to_owned(), format!("{broker}: {e}"));
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|e| ssl_error(&e))?;
    if let Some(ca) = &tls.ca {
        builder.set_ca_file(ca).map_err(|e| ssl_error(&format!("cannot read ssl.ca.location `{ca}`: {e}")))?;
    }
    if let (Some(cert), Some(key)) = (&tls.certificate, &tls.key) {
        builder.set_certificate_chain_file(cert).map_err(|e| ssl_error(&format!("ssl.certificate.location: {e}")))?;
        builder
            .set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| ssl_error(&format!("ssl.key.location: {e}")))?;
    }
    if !tls.verify {
        builder.set_verify(SslVerifyMode::NONE);
    }
    let connector = builder.build();
    let host = broker.rsplit_once(':').map_or(broker, |(h, _)| h).trim_matches(['[', ']']);
    let mut config = connector.configure().map_err(|e| ssl_error(&e))?;
    config.set_verify_hostname(tls.verify && tls.verify_hostname);
    let ssl = config.into_ssl(host).map_err(|e| ssl_error(&e))?;
    let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| ssl_error(&e))?;
    Pin::new(&mut stream).connect().await.map_err(|e| ssl_error(&format!("TLS handshake failed: {e}")))?;
    Ok(stream)
}

/// A SCRAM client (RFC 5802, with the hashes of RFC 7677), on OpenSSL's primitives.
struct Scram {
    digest: openssl::hash::MessageDigest,
    username: String,
    password: String,
    nonce: String,
}

impl Scram {
    fn new(mechanism: Mechanism, username: &str, password: &str) -> Scram {
        let mut random = [0u8; 24];
        openssl::rand::rand_bytes(&mut random).expect("OpenSSL has randomness");
        Scram::with_nonce(mechanism, username, password, &openssl::base64::encode_block(&random))
    }

    fn with_nonce(mechanism: Mechanism, username: &str, password: &str, nonce: &str) -> Scram {
        let digest = if mechanism == Mechanism::Scram256 {
            openssl::hash::MessageDigest::sha256()
        } else {
            openssl::hash::MessageDigest::sha512()
        };
        // RFC 5802 5.1: `=` and `,` in a user name are escaped.
        let username = username.replace('=', "=3D").replace(',', "=2C");
        Scram { digest, username, password: password.to_owned(), nonce: nonce.to_owned() }
    }

    fn client_first_bare(&self) -> String {
        format!("n={},r={}", self.username, self.nonce)
    }

    fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare())
    }

    /// The client's final message and the server-final message to expect, from the server's first.
    fn client_final(&self, server_first: &[u8]) -> Result<(String, String), Failure> {
        let bad = |what: &str| ("SASL_AUTHENTICATION_FAILED".to_owned(), format!("SCRAM: {what}"));
        let server_first = std::str::from_utf8(server_first).map_err(|_| bad("the server's message is not text"))?;
        let attr = |name: char| {
            server_first.split(',').find_map(|part| part.strip_prefix(name).and_then(|p| p.strip_prefix('=')))
        };
        let nonce = attr('r').ok_or_else(|| bad("no nonce"))?;
        if !nonce.starts_with(&self.nonce) {
            return Err(bad("the server's nonce does not extend ours"));
        }
        let salt =
            openssl::base64::decode_block(attr('s').ok_or_else(|| bad("no salt"))?).map_err(|_| bad("bad salt"))?;
        let iterations: usize = attr('i').and_then(|i| i.parse().ok()).ok_or_else(|| bad("no iteration count"))?;

        let mut salted = vec![0u8; self.digest.size()];
        openssl::pkcs5::pbkdf2_hmac(self.password.as_bytes(), &salt, iterations, self.digest, &mut salted)
            .map_err(|e| bad(&e.to_string()))?;
        let hmac = |key: &[u8], data: &[u8]| -> Result<Vec<u8>, Failure> {
            let key = openssl::pkey::PKey::hmac(key).map_err(|e| bad(&e.to_string()))?;
            let mut signer = openssl::sign::Signer::new(self.digest, &key).map_err(|e| bad(&e.to_string()))?;
            signer.update(data).map_err(|e| bad(&e.to_string()))?;
            signer.sign_to_vec().map_err(|e| bad(&e.to_string()))
        };
        let client_key = hmac(&salted, b"Client Key")?;
        let stored_key = openssl::hash::hash(self.digest, &client_key).map_err(|e| bad(&e.to_string()))?;
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare());
        let signature = hmac(&stored_key, auth_message.as_bytes())?;
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        let server_key = hmac(&salted, b"Server Key")?;
        let server_signature = hmac(&server_key, auth_message.as_bytes())?;
        Ok((
            format!("{without_proof},p={}", openssl::base64::encode_block(&proof)),
            format!("v={}", openssl::base64::encode_block(&server_signature)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names() {
        assert_eq!(screaming("InvalidReplicaAssignment"), "INVALID_REPLICA_ASSIGNMENT");
        assert_eq!(failure(39, None).0, "INVALID_REPLICA_ASSIGNMENT");
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn targets() {
        let t = Duration::from_secs(1);
        assert!(Target::new("a:1,b:2", &props(&[]), t).is_ok_and(|t| t.broker == "a:1" && t.tls.is_none()));
        let sasl_ssl = props(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "secret"),
        ]);
        let target = Target::new("a:1", &sasl_ssl, t).unwrap();
        assert!(target.tls.is_some() && target.sasl.as_ref().is_some_and(|s| s.mechanism == Mechanism::Scram512));
        assert!(!format!("{target:?}").contains("secret"), "Debug hides the password");
        let refused =
            Target::new("a:1", &props(&[("security.protocol", "SASL_SSL"), ("sasl.mechanism", "OAUTHBEARER")]), t);
        assert!(refused.unwrap_err().contains("SASL mechanism OAUTHBEARER"));
        let inline = Target::new("a:1", &props(&[("security.protocol", "SSL"), ("ssl.ca.pem", "-----BEGIN")]), t);
        assert!(inline.unwrap_err().contains("ssl.ca.pem"));
    }

    /// RFC 7677's SCRAM-SHA-256 example: user `user`, password `pencil`.
    #[test]
    fn scram_sha_256_test_vector() {
        let scram = Scram::with_nonce(Mechanism::Scram256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let (client_final, server_final) = scram.client_final(server_first.as_bytes()).unwrap();
        assert_eq!(
            client_final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(server_final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        assert!(scram.client_final(b"r=someone-else,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").is_err());
    }
}
