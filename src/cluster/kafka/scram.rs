//! SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) for the reassignment connection's SASL.

use super::connection::Mechanism;
use super::protocol::Failure;

/// A SCRAM client (RFC 5802, with the hashes of RFC 7677), on OpenSSL's primitives.
pub(super) struct Scram {
    digest: openssl::hash::MessageDigest,
    username: String,
    password: String,
    nonce: String,
}

impl Scram {
    pub(super) fn new(mechanism: Mechanism, username: &str, password: &str) -> Scram {
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

    pub(super) fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare())
    }

    /// The client's final message and the server-final message to expect, from the server's first.
    pub(super) fn client_final(&self, server_first: &[u8]) -> Result<(String, String), Failure> {
        let bad = |what: &str| Failure::new("SASL_AUTHENTICATION_FAILED", format!("SCRAM: {what}"));
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
