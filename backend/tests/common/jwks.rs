//! Test signing keys (fixtures made with openssl) and an in-process JWKS
//! server that counts fetches, can rotate keys and can go down.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
}

impl TestKey {
    fn new(kid: &str, alg: Algorithm, encoding: EncodingKey) -> Self {
        Self { kid: kid.to_owned(), alg, encoding }
    }

    pub fn ed25519() -> Self {
        Self::new(
            "test-ed25519",
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(include_bytes!("../fixtures/ed25519.pem")).unwrap(),
        )
    }

    /// Another Ed25519 key: signs tokens that claim `ed25519()`'s kid.
    pub fn ed25519_other() -> Self {
        Self::new(
            "test-ed25519",
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(include_bytes!("../fixtures/ed25519-other.pem")).unwrap(),
        )
    }

    pub fn es256() -> Self {
        Self::new(
            "test-es256",
            Algorithm::ES256,
            EncodingKey::from_ec_pem(include_bytes!("../fixtures/es256.pem")).unwrap(),
        )
    }

    pub fn rs256() -> Self {
        Self::new(
            "test-rs256",
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(include_bytes!("../fixtures/rs256.pem")).unwrap(),
        )
    }

    /// The RSA fixture used with RSASSA-PSS.
    pub fn ps256() -> Self {
        Self::new(
            "test-ps256",
            Algorithm::PS256,
            EncodingKey::from_rsa_pem(include_bytes!("../fixtures/rs256.pem")).unwrap(),
        )
    }

    pub fn with_kid(mut self, kid: &str) -> Self {
        self.kid = kid.to_owned();
        self
    }

    /// The public JWK, as a JWKS would list it.
    pub fn jwk(&self) -> Value {
        let mut jwk: Jwk = Jwk::from_encoding_key(&self.encoding, self.alg).unwrap();
        jwk.common.key_id = Some(self.kid.clone());
        serde_json::to_value(jwk).unwrap()
    }

    /// A JWT with `{alg, kid, typ: "JWT"}`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &self.encoding).unwrap()
    }

    /// A JWT shaped like a real Better Auth server's: `{alg, kid}` only.
    pub fn sign_like_better_auth(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = None;
        encode(&header, claims, &self.encoding).unwrap()
    }
}

pub const EXTERNAL_ISSUER: &str = "http://localhost:3000";

pub fn now_secs() -> i64 {
    backend::now_millis() / 1000
}

/// Valid claims for `sub` from the external issuer, expiring in 15 minutes.
pub fn claims(sub: &str) -> Value {
    let now = now_secs();
    json!({"sub": sub, "iss": EXTERNAL_ISSUER, "aud": EXTERNAL_ISSUER, "iat": now, "exp": now + 900})
}

/// A JWKS over HTTP on 127.0.0.1, serving whatever keys it is given.
pub struct JwksServer {
    pub url: String,
    body: Arc<Mutex<Option<String>>>,
    cache_control: Arc<Mutex<String>>,
    /// When set, every answer is a 302 to it.
    location: Arc<Mutex<Option<String>>>,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl JwksServer {
    pub fn start(keys: &[&TestKey], cache_control: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let body = Arc::new(Mutex::new(None));
        let cache_control = Arc::new(Mutex::new(cache_control.to_owned()));
        let location = Arc::new(Mutex::new(None));
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (body, cache_control, hits, stop) = (body.clone(), cache_control.clone(), hits.clone(), stop.clone());
            let location = location.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    hits.fetch_add(1, Ordering::SeqCst);
                    let body = body.lock().unwrap().clone();
                    let cache_control = cache_control.lock().unwrap().clone();
                    let location = location.lock().unwrap().clone();
                    respond(stream, body, &cache_control, location.as_deref());
                }
            })
        };
        let server = Self {
            url: format!("http://127.0.0.1:{port}/api/auth/jwks"),
            body,
            cache_control,
            location,
            hits,
            stop,
            port,
            thread: Some(thread),
        };
        server.serve(keys);
        server
    }

    /// From now on, serve these keys.
    pub fn serve(&self, keys: &[&TestKey]) {
        let keys: Vec<Value> = keys.iter().map(|k| k.jwk()).collect();
        *self.body.lock().unwrap() = Some(json!({ "keys": keys }).to_string());
    }

    /// From now on, serve this body as the key set.
    pub fn serve_raw(&self, body: String) {
        *self.body.lock().unwrap() = Some(body);
    }

    /// From now on, answer `302 Found` to `url`.
    pub fn redirect_to(&self, url: &str) {
        *self.location.lock().unwrap() = Some(url.to_owned());
    }

    /// From now on, answer 503.
    pub fn go_down(&self) {
        *self.body.lock().unwrap() = None;
    }

    pub fn set_cache_control(&self, value: &str) {
        *self.cache_control.lock().unwrap() = value.to_owned();
    }

    /// Requests served so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn respond(stream: TcpStream, body: Option<String>, cache_control: &str, location: Option<&str>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
        if line == "\r\n" || line == "\n" {
            break;
        }
        line.clear();
    }
    let mut stream = &stream;
    if let Some(to) = location {
        let _ =
            write!(stream, "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    let _ = match body {
        Some(body) => write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: {cache_control}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
        None => write!(stream, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
