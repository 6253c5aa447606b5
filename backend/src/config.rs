//! Typed settings: Rocket.toml profiles + environment (+ `.env`, loaded by
//! `main`) with the variable names of the stack this project replaces.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use rocket::figment::providers::Env;
use rocket::figment::Figment;
use serde::Deserialize;

/// Plain environment variables the app reads (besides Rocket's `ROCKET_*`).
pub const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "BETTER_AUTH_SECRET",
    "BETTER_AUTH_SECRET_FILE",
    "BETTER_AUTH_URL",
    "JWKS_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "TRUSTED_ORIGINS",
    "CORS_ORIGINS",
    "DIST_DIR",
    "BETTER_AUTH_PREVIOUS_SECRETS",
    "AUTH_RATE_LIMIT_MAX",
    "AUTH_RATE_LIMIT_WINDOW",
    "AUTH_ACCOUNT_MAX_FAILURES",
    "AUTH_ACCOUNT_BACKOFF",
    "PASSWORD_QUEUE_TIMEOUT",
    "TRUSTED_PROXIES",
    "JWKS_ROTATION_INTERVAL",
    "JWKS_GRACE_PERIOD",
    "JWKS_REFETCH_COOLDOWN",
    "JWKS_RELOAD_INTERVAL",
    "JWT_LEEWAY",
    "SESSION_MAX_LIFETIME",
    "TASKS_MAX_PER_USER",
    "TASKS_LIST_QUERIES_MAX",
    "TASKS_LIST_QUERIES_WINDOW",
    "EVENTS_MAX_STREAMS_PER_USER",
    "SMTP_URL",
    "EMAIL_FROM",
    "MAIL_TRANSPORT",
    "REQUIRE_EMAIL_VERIFICATION",
    "RESET_PASSWORD_TOKEN_EXPIRES_IN",
    "EMAIL_VERIFICATION_EXPIRES_IN",
];

/// Rocket's figment (Rocket.toml + `ROCKET_*`) with the app's plain variables
/// merged on top, globally so they beat any profile in Rocket.toml.
pub fn figment() -> Figment {
    rocket::Config::figment().merge(Env::raw().only(ENV_VARS).global())
}

/// Which database engine a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(ConfigError(format!(
                "DATABASE_URL must start with `sqlite:` or `postgres://` (got `{}`)",
                redact_url(url)
            )))
        }
    }
}

/// The app's settings, validated once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub engine: Engine,
    /// Public base URL of the auth server (`BETTER_AUTH_URL`).
    pub base_url: String,
    /// `scheme://host[:port]` of `base_url`: the default issuer, audience and trusted origin.
    pub base_origin: String,
    pub jwks_url: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub trusted_origins: Vec<String>,
    pub cors_origins: Vec<String>,
    pub dist_dir: PathBuf,
    /// `BETTER_AUTH_SECRET`; when unset, the secret comes from `secret_file`.
    pub auth_secret: Option<String>,
    /// `BETTER_AUTH_SECRET_FILE`: a file holding the secret, created (random,
    /// owner-only) if missing. Debug builds default to `data/.better-auth-secret`.
    pub secret_file: Option<PathBuf>,
    /// `BETTER_AUTH_PREVIOUS_SECRETS`: still accepted for cookies and key decryption.
    pub previous_secrets: Vec<String>,
    /// Sign-in/sign-up attempts per client and route per window; 0 disables.
    pub auth_rate_limit_max: u32,
    pub auth_rate_limit_window_secs: u64,
    /// Consecutive failed sign-ins per email before it is locked; 0 disables.
    pub auth_account_max_failures: u32,
    /// The first lock, seconds; doubled per further failure, at most 15 min.
    pub auth_account_backoff_secs: i64,
    /// The longest a password check waits for a hashing thread before it is
    /// answered 503 (`PASSWORD_QUEUE_TIMEOUT`, seconds).
    pub password_queue_timeout_secs: i64,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a signing key signs before a new one is made.
    pub jwks_rotation_secs: i64,
    /// How long a retired key stays in the JWKS so tokens in flight verify.
    pub jwks_grace_secs: i64,
    /// Minimum seconds between JWKS_URL fetches caused by unknown `kid`s.
    pub jwks_refetch_cooldown_secs: u64,
    /// Seconds a replica trusts its loaded signing keys before reading the
    /// database again: the most it lags behind a rotation or revocation.
    pub jwks_reload_interval_secs: i64,
    /// Clock-skew allowance for `exp`/`nbf`, seconds.
    pub jwt_leeway_secs: u64,
    /// Absolute lifetime of a session from its creation, whatever the
    /// sliding refresh does (`SESSION_MAX_LIFETIME`, seconds).
    pub session_max_lifetime_secs: i64,
    /// Tasks one user may hold (`TASKS_MAX_PER_USER`).
    pub tasks_max_per_user: u32,
    /// New list queries per user per window: pages the cache does not hold
    /// while it holds another of the user's at the same change version (the
    /// first read after a change is free); 0 disables.
    pub tasks_list_queries_max: u32,
    pub tasks_list_queries_window_secs: u64,
    /// Event streams one user may hold open in one process
    /// (`EVENTS_MAX_STREAMS_PER_USER`).
    pub events_max_streams_per_user: usize,
    /// How reset and verification mail is sent, if at all.
    pub mail: MailSetting,
    /// `EMAIL_FROM`: the sender of that mail.
    pub email_from: String,
    /// `REQUIRE_EMAIL_VERIFICATION`: unverified users cannot sign in.
    pub require_email_verification: bool,
    /// Lifetimes of reset and verification links, seconds.
    pub reset_token_secs: i64,
    pub verification_token_secs: i64,
}

/// `MAIL_TRANSPORT` and `SMTP_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSetting {
    /// No transport: password reset and email verification are off.
    None,
    /// Mails (with their links) go to the log: local runs.
    Log,
    /// `smtp://user:pass@host:port` or `smtps://…`.
    Smtp(String),
}

/// Where debug builds keep a generated secret when none is configured.
pub const DEV_SECRET_FILE: &str = "data/.better-auth-secret";

/// Minimum length of `BETTER_AUTH_SECRET`.
pub const MIN_SECRET_CHARS: usize = 32;

#[derive(Deserialize)]
struct Raw {
    database_url: Option<String>,
    better_auth_url: Option<String>,
    jwks_url: Option<String>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    trusted_origins: Option<StringOrList>,
    cors_origins: Option<StringOrList>,
    dist_dir: Option<PathBuf>,
    better_auth_secret: Option<String>,
    better_auth_secret_file: Option<PathBuf>,
    better_auth_previous_secrets: Option<StringOrList>,
    auth_rate_limit_max: Option<u32>,
    auth_rate_limit_window: Option<u64>,
    auth_account_max_failures: Option<u32>,
    auth_account_backoff: Option<i64>,
    password_queue_timeout: Option<i64>,
    trusted_proxies: Option<StringOrList>,
    jwks_rotation_interval: Option<i64>,
    jwks_grace_period: Option<i64>,
    jwks_refetch_cooldown: Option<u64>,
    jwks_reload_interval: Option<i64>,
    jwt_leeway: Option<u64>,
    session_max_lifetime: Option<i64>,
    tasks_max_per_user: Option<u32>,
    tasks_list_queries_max: Option<u32>,
    tasks_list_queries_window: Option<u64>,
    events_max_streams_per_user: Option<u32>,
    smtp_url: Option<String>,
    email_from: Option<String>,
    mail_transport: Option<String>,
    require_email_verification: Option<bool>,
    reset_password_token_expires_in: Option<i64>,
    email_verification_expires_in: Option<i64>,
}

/// A list given either as a TOML array or as a comma-separated string (env).
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    fn into_vec(self) -> Vec<String> {
        let items = match self {
            StringOrList::One(s) => s.split(',').map(str::to_owned).collect(),
            StringOrList::Many(v) => v,
        };
        items.into_iter().map(|s| s.trim().trim_end_matches('/').to_owned()).filter(|s| !s.is_empty()).collect()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/todo.db?mode=rwc";
pub const DEFAULT_BASE_URL: &str = "http://localhost:8000";
/// Trusted and CORS origins of a debug build (`trunk serve` on :3000, the
/// backend on :8000) when none are configured. Release builds have none:
/// they trust `BETTER_AUTH_URL`'s origin plus what is configured, nothing else.
const DEBUG_ORIGINS: &str = "http://localhost:3000,http://localhost:8000,http://127.0.0.1:3000,http://127.0.0.1:8000";

impl Settings {
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        Self::parse(figment, cfg!(debug_assertions))
    }

    /// `debug` selects the debug build's conveniences: localhost origins and
    /// a generated secret file when none are configured.
    fn parse(figment: &Figment, debug: bool) -> Result<Self, ConfigError> {
        let raw: Raw = figment.extract().map_err(|e| ConfigError(format!("invalid configuration: {e}")))?;
        let database_url = non_empty(raw.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let engine = Engine::from_url(&database_url)?;
        let base_url = non_empty(raw.better_auth_url).unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let base_origin = origin_of(&base_url)
            .ok_or_else(|| ConfigError(format!("BETTER_AUTH_URL must be an http(s) URL (got `{base_url}`)")))?;
        let jwks_url = non_empty(raw.jwks_url);
        if let Some(url) = &jwks_url {
            check_jwks_url(url)?;
        }
        let origins = |v: Option<StringOrList>, name: &str| -> Result<Vec<String>, ConfigError> {
            let default = if debug { DEBUG_ORIGINS } else { "" };
            let list = v.unwrap_or(StringOrList::One(default.into())).into_vec();
            list.iter()
                .map(|o| {
                    as_origin(o)
                        .ok_or_else(|| ConfigError(format!("{name}: `{o}` is not an origin like http://host:port")))
                })
                .collect()
        };
        let auth_secret = non_empty(raw.better_auth_secret);
        let previous_secrets = raw.better_auth_previous_secrets.map(StringOrList::into_vec).unwrap_or_default();
        for secret in auth_secret.iter().chain(&previous_secrets) {
            if secret.chars().count() < MIN_SECRET_CHARS {
                return Err(ConfigError(format!(
                    "BETTER_AUTH_SECRET (and each previous secret) must be at least {MIN_SECRET_CHARS} characters; \
                     generate one with `openssl rand -base64 32`"
                )));
            }
        }
        let secret_file = raw
            .better_auth_secret_file
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| debug.then(|| PathBuf::from(DEV_SECRET_FILE)));
        if auth_secret.is_none() && secret_file.is_none() {
            return Err(ConfigError(format!(
                "BETTER_AUTH_SECRET (or BETTER_AUTH_SECRET_FILE) is required in release builds (at least \
                 {MIN_SECRET_CHARS} characters; generate one with `openssl rand -base64 32`)"
            )));
        }
        let trusted_proxies = raw
            .trusted_proxies
            .map(StringOrList::into_vec)
            .unwrap_or_default()
            .iter()
            .map(|p| {
                p.parse::<IpAddr>().map_err(|_| ConfigError(format!("TRUSTED_PROXIES: `{p}` is not an IP address")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let positive = |v: Option<i64>, default: i64, name: &str| match v {
            None => Ok(default),
            Some(n) if n > 0 => Ok(n),
            Some(n) => Err(ConfigError(format!("{name} must be a positive number of seconds (got {n})"))),
        };
        let mail = mail_setting(non_empty(raw.mail_transport), non_empty(raw.smtp_url), debug)?;
        let email_from = non_empty(raw.email_from).unwrap_or_else(|| {
            let host = url::Url::parse(&base_url).ok().and_then(|u| u.host_str().map(str::to_owned));
            format!("Todo <no-reply@{}>", host.unwrap_or_else(|| "localhost".into()))
        });
        Ok(Settings {
            mail,
            email_from,
            require_email_verification: raw.require_email_verification.unwrap_or(false),
            reset_token_secs: positive(raw.reset_password_token_expires_in, 3600, "RESET_PASSWORD_TOKEN_EXPIRES_IN")?,
            verification_token_secs: positive(
                raw.email_verification_expires_in,
                3600,
                "EMAIL_VERIFICATION_EXPIRES_IN",
            )?,
            auth_secret,
            secret_file,
            previous_secrets,
            auth_rate_limit_max: raw.auth_rate_limit_max.unwrap_or(3),
            auth_rate_limit_window_secs: raw.auth_rate_limit_window.unwrap_or(10).max(1),
            password_queue_timeout_secs: positive(raw.password_queue_timeout, 10, "PASSWORD_QUEUE_TIMEOUT")?,
            auth_account_max_failures: raw.auth_account_max_failures.unwrap_or(5),
            auth_account_backoff_secs: positive(raw.auth_account_backoff, 30, "AUTH_ACCOUNT_BACKOFF")?.min(15 * 60),
            trusted_proxies,
            jwks_rotation_secs: positive(raw.jwks_rotation_interval, 30 * 24 * 3600, "JWKS_ROTATION_INTERVAL")?,
            jwks_grace_secs: positive(raw.jwks_grace_period, 24 * 3600, "JWKS_GRACE_PERIOD")?,
            jwks_refetch_cooldown_secs: raw.jwks_refetch_cooldown.unwrap_or(10),
            jwks_reload_interval_secs: positive(raw.jwks_reload_interval, 60, "JWKS_RELOAD_INTERVAL")?.min(60),
            jwt_leeway_secs: raw.jwt_leeway.unwrap_or(10).min(300),
            session_max_lifetime_secs: positive(raw.session_max_lifetime, 30 * 24 * 3600, "SESSION_MAX_LIFETIME")?,
            tasks_max_per_user: match raw.tasks_max_per_user {
                Some(0) => return Err(ConfigError("TASKS_MAX_PER_USER must be at least 1".into())),
                v => v.unwrap_or(10_000),
            },
            tasks_list_queries_max: raw.tasks_list_queries_max.unwrap_or(100),
            tasks_list_queries_window_secs: raw.tasks_list_queries_window.unwrap_or(10).max(1),
            events_max_streams_per_user: match raw.events_max_streams_per_user {
                Some(0) => return Err(ConfigError("EVENTS_MAX_STREAMS_PER_USER must be at least 1".into())),
                v => v.unwrap_or(10) as usize,
            },
            jwt_issuer: non_empty(raw.jwt_issuer).unwrap_or_else(|| base_origin.clone()),
            jwt_audience: non_empty(raw.jwt_audience).unwrap_or_else(|| base_origin.clone()),
            trusted_origins: origins(raw.trusted_origins, "TRUSTED_ORIGINS")?,
            cors_origins: origins(raw.cors_origins, "CORS_ORIGINS")?,
            dist_dir: raw.dist_dir.unwrap_or_else(|| PathBuf::from("dist")),
            database_url,
            engine,
            base_url,
            base_origin,
            jwks_url,
        })
    }
}

/// `MAIL_TRANSPORT` (`smtp`, `log` or `none`) with `SMTP_URL`. Unset: SMTP
/// when `SMTP_URL` is set, else the log in debug builds, else none.
fn mail_setting(transport: Option<String>, smtp_url: Option<String>, debug: bool) -> Result<MailSetting, ConfigError> {
    let smtp = |url: Option<String>| match url {
        Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => Ok(MailSetting::Smtp(url)),
        Some(url) => Err(ConfigError(format!(
            "SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465 (got `{}`)",
            redact_url(&url)
        ))),
        None => Err(ConfigError("MAIL_TRANSPORT=smtp needs SMTP_URL".into())),
    };
    match transport.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("smtp") => smtp(smtp_url),
        Some("log") => Ok(MailSetting::Log),
        Some("none") => Ok(MailSetting::None),
        Some(other) => Err(ConfigError(format!("MAIL_TRANSPORT must be smtp, log or none (got `{other}`)"))),
        None if smtp_url.is_some() => smtp(smtp_url),
        None if debug => Ok(MailSetting::Log),
        None => Ok(MailSetting::None),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The origin (`scheme://host[:port]`, default port dropped, lower case) of
/// an http(s) URL, or `None` if it is not one or carries credentials.
pub(crate) fn origin_of(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty());
    (web && url.username().is_empty() && url.password().is_none()).then(|| url.origin().ascii_serialization())
}

/// `JWKS_URL` (DESIGN §10): https, or plain http only to this machine
/// (`localhost`, 127.0.0.0/8, `::1`), where nobody on the way can swap keys.
fn check_jwks_url(raw: &str) -> Result<(), ConfigError> {
    let refused = |why: &str| Err(ConfigError(format!("JWKS_URL {why} (got `{}`)", redact_url(raw))));
    let Ok(url) = url::Url::parse(raw) else { return refused("must be an https URL") };
    if !url.username().is_empty() || url.password().is_some() {
        return refused("must not carry credentials");
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return refused("must be an https URL"),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => refused("must use https (plain http is allowed only for localhost, 127.0.0.0/8 and ::1)"),
        _ => refused("must be an https URL"),
    }
}

/// `raw` as an origin, if it is one: an http(s) URL with nothing after the
/// authority but an optional `/`.
fn as_origin(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    (url.path() == "/" && url.query().is_none() && url.fragment().is_none()).then(|| origin_of(raw)).flatten()
}

/// A URL safe to print: any password in it replaced.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A configuration problem, printed as one line at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::figment::providers::Serialized;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut figment = Figment::new();
        for (k, v) in pairs {
            figment = figment.merge(Serialized::global(k, v));
        }
        Settings::from_figment(&figment)
    }

    #[test]
    fn defaults_follow_the_base_url() {
        let s = settings(&[("better_auth_url", "https://todo.example.com/app/")]).unwrap();
        assert_eq!(s.engine, Engine::Sqlite);
        assert_eq!(s.jwt_issuer, "https://todo.example.com");
        assert_eq!(s.jwt_audience, "https://todo.example.com");
        assert_eq!(s.trusted_origins[..2], ["http://localhost:3000", "http://localhost:8000"]);
    }

    #[test]
    fn release_builds_trust_no_localhost_origin_by_default() {
        let secret = "s".repeat(40);
        let mut figment = Figment::new();
        for (k, v) in [("better_auth_url", "https://todo.example.com"), ("better_auth_secret", secret.as_str())] {
            figment = figment.merge(Serialized::global(k, v));
        }
        let release = Settings::parse(&figment, false).unwrap();
        assert!(release.trusted_origins.is_empty(), "{:?}", release.trusted_origins);
        assert!(release.cors_origins.is_empty(), "{:?}", release.cors_origins);
        assert_eq!(release.secret_file, None);
        let debug = Settings::parse(&figment, true).unwrap();
        assert!(debug.trusted_origins.contains(&"http://localhost:3000".to_owned()));
        assert!(debug.cors_origins.contains(&"http://localhost:3000".to_owned()));
        let configured =
            Settings::parse(&figment.merge(Serialized::global("cors_origins", "https://a.example")), false);
        assert_eq!(configured.unwrap().cors_origins, ["https://a.example"]);
    }

    #[test]
    fn mail_goes_to_smtp_when_configured_and_to_the_log_only_in_debug_builds() {
        let url = Some("smtp://u:p@127.0.0.1:2525".to_owned());
        assert_eq!(mail_setting(None, url.clone(), false).unwrap(), MailSetting::Smtp(url.clone().unwrap()));
        assert_eq!(mail_setting(None, None, true).unwrap(), MailSetting::Log);
        assert_eq!(mail_setting(None, None, false).unwrap(), MailSetting::None);
        assert_eq!(mail_setting(Some("LOG".into()), url.clone(), false).unwrap(), MailSetting::Log);
        assert_eq!(mail_setting(Some("none".into()), url, true).unwrap(), MailSetting::None);
        assert!(mail_setting(Some("smtp".into()), None, true).unwrap_err().0.contains("SMTP_URL"));
        assert!(mail_setting(None, Some("http://mail.example".into()), true).unwrap_err().0.contains("SMTP_URL"));
        assert!(mail_setting(Some("pigeon".into()), None, true).is_err());
        let s = settings(&[("better_auth_url", "https://todo.example.com")]).unwrap();
        assert_eq!(s.email_from, "Todo <no-reply@todo.example.com>");
        assert_eq!((s.reset_token_secs, s.verification_token_secs, s.require_email_verification), (3600, 3600, false));
    }

    #[test]
    fn jwks_url_is_https_except_to_this_machine() {
        for ok in [
            "https://auth.example.com/api/auth/jwks",
            "http://localhost:3000/api/auth/jwks",
            "http://LOCALHOST/jwks",
            "http://127.0.0.1:3000/jwks",
            "http://127.8.9.10/jwks",
            "http://[::1]:3000/jwks",
        ] {
            assert!(settings(&[("jwks_url", ok)]).is_ok(), "{ok}");
        }
        for bad in [
            "http://auth.example.com/jwks",
            "http://10.0.0.5/jwks",
            "http://128.0.0.1/jwks",
            "http://[::2]/jwks",
            "http://localhost.evil.com/jwks",
            "ftp://localhost/jwks",
            "https://user:pw@auth.example.com/jwks",
            "not a url",
        ] {
            let err = settings(&[("jwks_url", bad)]).unwrap_err();
            assert!(err.0.starts_with("JWKS_URL"), "{bad}: {err}");
            assert!(!err.0.contains("pw@"), "{err}");
        }
    }

    #[test]
    fn comma_separated_origins_are_split_and_trimmed() {
        let s = settings(&[("cors_origins", " https://a.example , https://b.example:8443/ ")]).unwrap();
        assert_eq!(s.cors_origins, ["https://a.example", "https://b.example:8443"]);
    }

    #[test]
    fn unknown_database_scheme_is_a_clear_error() {
        let err = settings(&[("database_url", "mysql://root:hunter2@db/todo")]).unwrap_err();
        assert!(err.0.contains("DATABASE_URL must start with"), "{err}");
        assert!(!err.0.contains("hunter2"), "password leaked: {err}");
    }

    #[test]
    fn short_secrets_are_refused() {
        let err = settings(&[("better_auth_secret", "too-short")]).unwrap_err();
        assert!(err.0.contains("at least 32"), "{err}");
        assert!(!err.0.contains("too-short"), "the secret itself must not be echoed");
    }

    #[test]
    fn previous_secrets_and_proxies_parse_from_env_style_strings() {
        let long = "x".repeat(40);
        let previous = format!("{long}, {}", "y".repeat(32));
        let s = settings(&[
            ("better_auth_secret", long.as_str()),
            ("better_auth_previous_secrets", previous.as_str()),
            ("trusted_proxies", "10.0.0.1, ::1"),
        ])
        .unwrap();
        assert_eq!(s.previous_secrets.len(), 2);
        assert_eq!(s.trusted_proxies.len(), 2);
    }

    #[test]
    fn origin_list_rejects_paths() {
        assert!(settings(&[("trusted_origins", "http://a.example/path")]).is_err());
        assert!(settings(&[("trusted_origins", "http://a.example?x=1")]).is_err());
    }

    #[test]
    fn an_explicit_default_port_matches_what_browsers_send() {
        // A browser's `Origin` never names the default port, so an entry
        // that does must be normalised or it could never match.
        let s = settings(&[("trusted_origins", "http://app.example:80, https://app.example:443/")]).unwrap();
        assert_eq!(s.trusted_origins, ["http://app.example", "https://app.example"]);
    }

    #[test]
    fn origin_of_normalises() {
        assert_eq!(
            origin_of("HTTP://Example.COM:80/x?y").as_deref(),
            Some("http://example.com"),
            "as browsers send it"
        );
        assert_eq!(origin_of("https://example.com:443").as_deref(), Some("https://example.com"));
        assert_eq!(origin_of("http://example.com:8080/").as_deref(), Some("http://example.com:8080"));
        assert_eq!(origin_of("ftp://example.com"), None);
        assert_eq!(origin_of("http://user@evil.com"), None);
    }
}
