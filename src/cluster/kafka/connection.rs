//! One connection to a broker for the requests topicform sends itself: TCP, optional TLS, optional
//! SASL (PLAIN, SCRAM), then Kafka's framing of one request and its response.

use bytes::{Buf, BytesMut};
use kafka_protocol::messages::{
    ApiKey, RequestHeader, ResponseHeader, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::protocol::{Failure, Target, failure_with};
use super::scram::Scram;
use super::tls::handshake;

#[derive(Clone)]
pub(super) struct Sasl {
    pub(super) mechanism: Mechanism,
    pub(super) username: String,
    pub(super) password: String,
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
pub(super) enum Mechanism {
    Plain,
    Scram256,
    Scram512,
}

/// A stream to a broker, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open, authenticated connection.
pub(super) struct Connection {
    stream: Box<dyn Stream>,
    broker: String,
    correlation: i32,
    /// The size of the last response read, in bytes.
    last_size: usize,
}

/// The largest response read (librdkafka's default `receive.message.max.bytes`): a bigger size
/// field is not a Kafka answer (a TLS port asked in plain text answers `0x15030300`, 352 MB).
const MAX_RESPONSE: usize = 100_000_000;

impl Connection {
    pub(super) async fn open(target: &Target) -> Result<Connection, Failure> {
        let io = |e: std::io::Error| Failure::new("_TRANSPORT", format!("{}: {e}", target.broker));
        let tcp = TcpStream::connect(&target.broker).await.map_err(io)?;
        let stream: Box<dyn Stream> = match &target.security.tls {
            None => Box::new(tcp),
            Some(tls) => Box::new(handshake(tcp, tls, &target.broker).await?),
        };
        let mut conn = Connection { stream, broker: target.broker.clone(), correlation: 0, last_size: 0 };
        if let Some(sasl) = &target.security.sasl {
            conn.authenticate(sasl).await?;
        }
        Ok(conn)
    }

    /// The broker's address.
    pub(super) fn broker(&self) -> &str {
        &self.broker
    }

    /// The size of the last response, in bytes (0 before the first).
    pub(super) fn last_size(&self) -> usize {
        self.last_size
    }

    /// Sends one request and reads its response.
    pub(super) async fn request<Req, Resp>(&mut self, key: ApiKey, version: i16, request: &Req) -> Result<Resp, Failure>
    where
        Req: Encodable + HeaderVersion,
        Resp: Decodable,
    {
        let io = |e: std::io::Error| Failure::new("_TRANSPORT", format!("{}: {e}", self.broker));
        self.correlation += 1;
        let mut header = RequestHeader::default();
        header.request_api_key = key as i16;
        header.request_api_version = version;
        header.correlation_id = self.correlation;
        header.client_id = Some(StrBytes::from_static_str("topicform"));
        let mut body = BytesMut::new();
        let encode = |e: anyhow::Error| Failure::new("_ENCODE", e.to_string());
        header.encode(&mut body, Req::header_version(version)).map_err(encode)?;
        request.encode(&mut body, version).map_err(encode)?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).await.map_err(io)?;
        self.stream.flush().await.map_err(io)?;

        let size = self.stream.read_i32().await.map_err(io)?;
        let size = usize::try_from(size)
            .ok()
            .filter(|&s| s <= MAX_RESPONSE)
            .ok_or_else(|| Failure::new("_BAD_MSG", format!("{}: response size {size}", self.broker)))?;
        self.last_size = size;
        let mut buf = vec![0; size];
        self.stream.read_exact(&mut buf).await.map_err(io)?;
        let mut buf = bytes::Bytes::from(buf);
        let decode = |e: anyhow::Error| Failure::new("_BAD_MSG", e.to_string());
        let header = ResponseHeader::decode(&mut buf, key.response_header_version(version)).map_err(decode)?;
        if header.correlation_id != self.correlation {
            return Err(Failure::new("_BAD_MSG", "the response does not answer the request".to_owned()));
        }
        let response = Resp::decode(&mut buf, version).map_err(decode)?;
        if buf.has_remaining() {
            return Err(Failure::new("_BAD_MSG", "the response is longer than expected".to_owned()));
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
                    return Err(Failure::new("SASL_AUTHENTICATION_FAILED", "the broker's SCRAM signature is wrong"));
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
