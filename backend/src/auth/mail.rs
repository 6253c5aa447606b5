//! The auth server's mail: what a reset or verification mail says, and the
//! transport that carries it — SMTP through lettre (`SMTP_URL`), or the log
//! (`MAIL_TRANSPORT=log`) so a local run can follow the link. Mail is never
//! sent on a request's path: requests queue it in the outbox (`outbox`).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, MailSetting, Settings};

/// One mail as the outbox keeps it (encrypted) until it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where mail goes.
pub enum Transport {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    Log,
}

/// A configured mail transport and sender address.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// SMTP conversations that hang are given up and retried later.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

impl Mailer {
    /// `None` when no transport is configured (reset and verification off).
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, ConfigError> {
        let transport = match &settings.mail {
            MailSetting::None => return Ok(None),
            MailSetting::Log => Transport::Log,
            MailSetting::Smtp(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
                    ConfigError(format!("SMTP_URL is not usable ({e}): {}", crate::config::redact_url(url)))
                })?;
                Transport::Smtp(Box::new(builder.timeout(Some(SMTP_TIMEOUT)).build()))
            }
        };
        let from = settings.email_from.parse::<Mailbox>().map_err(|e| {
            ConfigError(format!("EMAIL_FROM must be an address like `Todo <no-reply@example.com>` ({e})"))
        })?;
        Ok(Some(Self { transport, from }))
    }

    /// Sends one mail; the error says why in a line for the log.
    pub async fn send(&self, mail: &Mail) -> Result<(), String> {
        match &self.transport {
            Transport::Log => {
                tracing::info!(target: "mail", to = %mail.to, subject = %mail.subject, "mail (MAIL_TRANSPORT=log):\n{}", mail.text);
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let message = self.message(mail)?;
                smtp.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }

    /// The MIME message: plain text and HTML alternatives.
    fn message(&self, mail: &Mail) -> Result<Message, String> {
        let to = mail.to.parse::<Mailbox>().map_err(|e| format!("recipient `{}`: {e}", mail.to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(mail.html.clone())),
            )
            .map_err(|e| e.to_string())
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A mail whose one call to action is `link`: the only URL in its text part.
fn with_link(to: &str, subject: &str, greeting_name: &str, lead: &str, link: &str, closing: &str) -> Mail {
    // Names are the user's own words: no URL may be smuggled into the text
    // part through them, so anything that looks like one is cut.
    let name: String =
        greeting_name.split_whitespace().filter(|w| !w.contains(':') && !w.contains('.')).collect::<Vec<_>>().join(" ");
    let hello = if name.is_empty() { "Hello,".to_owned() } else { format!("Hello {name},") };
    let text = format!("{hello}\n\n{lead}\n\n{link}\n\n{closing}\n");
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">\
         <p>{}</p><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p></body></html>",
        escape_html(&hello),
        escape_html(lead),
        escape_html(link),
        escape_html(subject),
        escape_html(closing),
    );
    Mail { to: to.to_owned(), subject: subject.to_owned(), text, html }
}

fn minutes(secs: i64) -> String {
    match (secs / 60).max(1) {
        1 => "1 minute".to_owned(),
        n => format!("{n} minutes"),
    }
}

pub fn reset_password(to: &str, name: &str, link: &str, lifetime_secs: i64) -> Mail {
    with_link(
        to,
        "Reset your password",
        name,
        "Someone (hopefully you) asked to reset the password of your Todo account. Open this link to choose a new one:",
        link,
        &format!(
            "The link works once, within {}. If you did not ask for it, ignore this mail: your password stays as it is.",
            minutes(lifetime_secs)
        ),
    )
}

pub fn verify_email(to: &str, name: &str, link: &str, lifetime_secs: i64) -> Mail {
    with_link(
        to,
        "Verify your email address",
        name,
        "Please confirm that this is your email address by opening this link:",
        link,
        &format!(
            "The link works once, within {}. If you did not sign up for Todo, ignore this mail.",
            minutes(lifetime_secs)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        text.split_whitespace().filter(|w| w.contains("://")).collect()
    }

    #[test]
    fn the_link_is_the_only_url_in_the_text_part_and_html_is_escaped() {
        let link = "http://localhost:8000/api/auth/reset-password/abc?callbackURL=%2Freset-password";
        let mail = reset_password("ada@example.com", "Ada <b>http://evil.example</b> Lovelace", link, 3600);
        assert_eq!(urls(&mail.text), [link]);
        assert!(mail.text.starts_with("Hello Ada Lovelace,\n"), "{}", mail.text);
        assert!(!mail.html.contains("<b>"), "the name is escaped in HTML: {}", mail.html);
        assert!(mail.html.contains(&escape_html(link)));
        assert!(mail.text.contains("60 minutes"));
        let mail = verify_email("ada@example.com", "", link, 90);
        assert!(mail.text.starts_with("Hello,\n"));
        assert!(mail.text.contains("within 1 minute."), "{}", mail.text);
    }

    #[test]
    fn messages_have_plain_text_and_html_parts() {
        let mailer = Mailer { transport: Transport::Log, from: "Todo <no-reply@example.com>".parse().unwrap() };
        let mail = verify_email("ada@example.com", "Ada", "http://x.example/v?token=t", 3600);
        let raw = String::from_utf8(mailer.message(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Content-Type: text/plain") && raw.contains("Content-Type: text/html"));
        assert!(raw.contains("To: ada@example.com"));
        assert!(mailer.message(&Mail { to: "not an address".into(), ..mail }).is_err());
    }
}
