//! Compressed bodies: `Accept-Encoding` negotiation and a body kept with its
//! brotli and gzip variants, each made at most once.
//!
//! Rocket 0.5 has no response compression of its own, and the crates that
//! add it (`rocket_async_compression`) compress every response as it is
//! sent. Here the static files are compressed once when loaded and a cached
//! list page keeps its compressed bytes, so a repeated answer compresses
//! nothing; `brotli` and `flate2` do the compressing.

use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header};
use rocket::{Request, Response};

/// Bodies this small are sent as they are: the framing would eat the gain.
pub(crate) const MIN_COMPRESS_BYTES: usize = 1024;

/// A content coding we send, in our order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// `Accept-Encoding` items looked at; a longer header is not a real browser's.
const MAX_ITEMS: usize = 32;

impl Encoding {
    fn token(self) -> Option<&'static str> {
        match self {
            Self::Br => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }

    /// The coding the client prefers among ours (RFC 9110 §12.5.3): the
    /// highest `q`, ties going to the smaller (br, then gzip). Identity is
    /// acceptable unless refused by `identity;q=0` or `*;q=0`, and it is
    /// also the answer when everything is refused or the header makes no
    /// sense: a strange header never costs anyone the page.
    pub(crate) fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else { return Self::Identity };
        let (mut br, mut gzip, mut identity, mut star) = (None, None, None, None);
        for item in accept.split(',').take(MAX_ITEMS) {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let q = parts.find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")));
            let q = match q {
                None => 1.0,
                Some(v) => match v.trim().parse::<f32>() {
                    Ok(q) if (0.0..=1.0).contains(&q) => q,
                    _ => continue, // an invalid weight: ignore the item
                },
            };
            let slot = if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding.eq_ignore_ascii_case("identity") {
                &mut identity
            } else if coding == "*" {
                &mut star
            } else {
                continue;
            };
            *slot = Some(q);
        }
        let weight = |explicit: Option<f32>| explicit.or(star).unwrap_or(0.0);
        // Unlisted identity is acceptable, but after anything listed.
        let identity = identity.or(star).unwrap_or(f32::MIN_POSITIVE);
        let mut best = (Self::Identity, identity);
        for (coding, q) in [(Self::Gzip, weight(gzip)), (Self::Br, weight(br))] {
            if q > 0.0 && q >= best.1 {
                best = (coding, q);
            }
        }
        best.0
    }

    /// The choice for this request's `Accept-Encoding`.
    pub(crate) fn of(req: &Request<'_>) -> Self {
        Self::negotiate(req.headers().get_one("Accept-Encoding"))
    }
}

/// How hard to compress: once for a file served forever, or quickly for a
/// JSON answer made now.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Effort {
    Static,
    Dynamic,
}

type Compressor = fn(&[u8], Effort) -> Option<Vec<u8>>;

fn brotli(data: &[u8], effort: Effort) -> Option<Vec<u8>> {
    let quality = match effort {
        Effort::Static => 11,
        Effort::Dynamic => 5,
    };
    let params = brotli::enc::BrotliEncoderParams { quality, size_hint: data.len(), ..Default::default() };
    let mut out = Vec::with_capacity(data.len() / 4);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
    Some(out)
}

fn gzip(data: &[u8], effort: Effort) -> Option<Vec<u8>> {
    let level = match effort {
        Effort::Static => flate2::Compression::best(),
        Effort::Dynamic => flate2::Compression::default(),
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), level);
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// A body with its compressed variants, each made on first use and then
/// kept. A variant is kept only when it is at most half the size of the
/// body, so the variants together never weigh more than the body itself
/// (what the list cache's memory budget counts on) and a body that barely
/// compresses is simply sent as it is.
pub(crate) struct Encoded {
    identity: Arc<[u8]>,
    effort: Effort,
    br: OnceLock<Option<Arc<[u8]>>>,
    gzip: OnceLock<Option<Arc<[u8]>>>,
}

impl Encoded {
    pub(crate) fn new(identity: impl Into<Arc<[u8]>>, effort: Effort) -> Self {
        Self { identity: identity.into(), effort, br: OnceLock::new(), gzip: OnceLock::new() }
    }

    /// With variants made earlier (`backend precompress`); each is still
    /// kept only if it pays, like one made here.
    pub(crate) fn with_variants(identity: Vec<u8>, effort: Effort, br: Option<Vec<u8>>, gzip: Option<Vec<u8>>) -> Self {
        let body = Self::new(identity, effort);
        for (slot, variant) in [(&body.br, br), (&body.gzip, gzip)] {
            if let Some(bytes) = variant {
                let _ = slot.set(body.pays(&bytes).then(|| Arc::from(bytes)));
            }
        }
        body
    }

    /// Whether `variant` is worth keeping: the body is big enough to
    /// compress and the variant at most half its size.
    fn pays(&self, variant: &[u8]) -> bool {
        self.identity.len() >= MIN_COMPRESS_BYTES && variant.len() <= self.identity.len() / 2
    }

    pub(crate) fn identity(&self) -> &Arc<[u8]> {
        &self.identity
    }

    /// The variant for `encoding`, made now if need be (`None`: it does not pay).
    pub(crate) fn variant(&self, encoding: Encoding) -> Option<Arc<[u8]>> {
        let (slot, compress): (_, Compressor) = match encoding {
            Encoding::Br => (&self.br, brotli),
            Encoding::Gzip => (&self.gzip, gzip),
            Encoding::Identity => return None,
        };
        slot.get_or_init(|| {
            if self.identity.len() < MIN_COMPRESS_BYTES {
                return None;
            }
            compress(&self.identity, self.effort).filter(|c| self.pays(c)).map(Arc::from)
        })
        .clone()
    }

    /// The bytes to send for `wanted` and the coding they are in (identity
    /// when that variant does not pay).
    pub(crate) fn pick(&self, wanted: Encoding) -> (Encoding, Arc<[u8]>) {
        match self.variant(wanted) {
            Some(bytes) => (wanted, bytes),
            None => (Encoding::Identity, self.identity.clone()),
        }
    }

    /// Bytes held by the variants made so far (for the tests' memory checks).
    #[cfg(test)]
    fn variant_bytes(&self) -> usize {
        [&self.br, &self.gzip].iter().filter_map(|s| s.get().cloned().flatten()).map(|v| v.len()).sum()
    }
}

/// `Vary: Accept-Encoding`: caches must key the answer by the header.
pub(crate) fn vary() -> Header<'static> {
    Header::new("Vary", "Accept-Encoding")
}

/// A response of `body` in the coding `req` prefers, with its exact
/// `Content-Length` (a sized body), `Content-Encoding` and `Vary`.
pub(crate) fn respond(req: &Request<'_>, body: &Encoded, content_type: ContentType) -> Response<'static> {
    let (encoding, bytes) = body.pick(Encoding::of(req));
    let mut res = Response::build().header(content_type).finalize();
    set_encoded(&mut res, encoding, bytes);
    res
}

/// Puts `bytes` (in `encoding`) in as the whole body, in one write instead
/// of 4 KiB chunks, with `Content-Encoding` and `Vary`: a response that has
/// been through here is never negotiated again.
pub(crate) fn set_encoded(res: &mut Response<'_>, encoding: Encoding, bytes: Arc<[u8]>) {
    res.set_header(vary());
    if let Some(token) = encoding.token() {
        res.set_header(Header::new("Content-Encoding", token));
    }
    let len = bytes.len();
    res.set_sized_body(len, std::io::Cursor::new(bytes));
    res.set_max_chunk_size(len.clamp(4096, 256 * 1024));
}

/// Whether the coding of `res` was already chosen (`set_encoded`).
fn negotiated(res: &Response<'_>) -> bool {
    res.headers().contains("Content-Encoding") || res.headers().get("Vary").any(|v| v.contains("Accept-Encoding"))
}

/// Compresses the task API's JSON answers over [`MIN_COMPRESS_BYTES`] for
/// clients that accept it; an answer whose coding was already chosen (a
/// cached list page brings its own variants, or is not worth compressing)
/// is left alone, so it is never compressed per request. The auth server's answers
/// are never compressed: they carry session tokens and JWTs next to what
/// the client sent, the mix BREACH-style attacks read through compression.
pub(crate) struct CompressJson;

#[rocket::async_trait]
impl Fairing for CompressJson {
    fn info(&self) -> Info {
        Info { name: "Compressed JSON", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let path = req.uri().path();
        if !path.starts_with("/api/") || path.starts_with("/api/auth/") || negotiated(res) {
            return;
        }
        if res.content_type().is_none_or(|ct| !ct.is_json()) {
            return;
        }
        match res.body().preset_size() {
            Some(len) if len >= MIN_COMPRESS_BYTES => {}
            _ => return,
        }
        res.set_header(vary());
        let wanted = Encoding::of(req);
        if wanted == Encoding::Identity {
            return;
        }
        let Ok(bytes) = res.body_mut().to_bytes().await else { return };
        let (encoding, bytes) = Encoded::new(bytes, Effort::Dynamic).pick(wanted);
        set_encoded(res, encoding, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn the_clients_preference_wins_and_ties_go_to_brotli() {
        use Encoding::*;
        for (header, want) in [
            (None, Identity),
            (Some(""), Identity),
            (Some("gzip, deflate, br, zstd"), Br),
            (Some("br, gzip"), Br),
            (Some("gzip"), Gzip),
            (Some("x-gzip"), Gzip),
            (Some("GZIP"), Gzip),
            (Some("br;q=0.5, gzip"), Gzip),
            (Some("br;q=0, gzip;q=0"), Identity),
            (Some("identity"), Identity),
            (Some("identity;q=0"), Identity), // nothing left: the page still comes
            (Some("*"), Br),
            (Some("*;q=0, gzip"), Gzip),
            (Some("*;q=0.2, identity"), Identity),
            (Some("gzip;q=0.5, identity"), Identity),
            (Some("gzip;q=0.5, identity;q=0"), Gzip),
            (Some("deflate, zstd"), Identity),
            (Some("br;q=abc, gzip;q=2, gzip;q=0.3"), Gzip), // unlisted identity comes last
            (Some(";;;,,,q=,;q=1"), Identity),
        ] {
            assert_eq!(Encoding::negotiate(header), want, "{header:?}");
        }
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n).map(|i| b"{\"title\":\"buy milk\",\"done\":false},"[i % 33]).collect()
    }

    #[test]
    fn variants_decode_to_the_body_and_are_made_once() {
        let body = Encoded::new(text(20_000), Effort::Dynamic);
        let (coding, br) = body.pick(Encoding::Br);
        assert_eq!(coding, Encoding::Br);
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, text(20_000));
        assert!(Arc::ptr_eq(&br, &body.pick(Encoding::Br).1), "the second answer reuses the first variant");

        let (coding, gz) = body.pick(Encoding::Gzip);
        assert_eq!(coding, Encoding::Gzip);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, text(20_000));
        assert!(body.variant_bytes() <= body.identity().len());
    }

    #[test]
    fn small_or_incompressible_bodies_stay_as_they_are() {
        let small = Encoded::new(text(MIN_COMPRESS_BYTES - 1), Effort::Dynamic);
        assert_eq!(small.pick(Encoding::Br).0, Encoding::Identity);
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..8192)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        let noise = Encoded::new(noise, Effort::Static);
        noise.variant(Encoding::Br);
        noise.variant(Encoding::Gzip);
        assert_eq!(noise.pick(Encoding::Gzip).0, Encoding::Identity);
        assert_eq!(noise.variant_bytes(), 0);
    }
}
