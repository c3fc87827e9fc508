//! TLS for the connections topicform makes itself (partition reassignment), with OpenSSL, configured
//! from the same librdkafka properties as the main client.

use std::pin::Pin;

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use tokio::net::TcpStream;

use super::protocol::Failure;

/// What `ssl.*` properties ask for.
#[derive(Debug, Clone)]
pub(super) struct Tls {
    pub(super) ca: Option<String>,
    pub(super) certificate: Option<String>,
    pub(super) key: Option<String>,
    pub(super) verify: bool,
    pub(super) verify_hostname: bool,
}

/// The TLS handshake with `broker` over `tcp`.
pub(super) async fn handshake(
    tcp: TcpStream,
    tls: &Tls,
    broker: &str,
) -> Result<tokio_openssl::SslStream<TcpStream>, Failure> {
    let ssl_error = |e: &dyn std::fmt::Display| Failure::new("_SSL", format!("{broker}: {e}"));
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
