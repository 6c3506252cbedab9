//! The bot's log: one line per event on stderr, with the token redacted from every line.
//!
//! The token is registered once with [`protect`]; [`redact`] replaces it (and its secret half,
//! after the `:`) wherever it appears, so no error text that might carry a URL can leak it.

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers a secret (the bot token) that must never be logged.
pub fn protect(token: &str) {
    let mut s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for part in [Some(token), token.split_once(':').map(|(_, secret)| secret)]
        .into_iter()
        .flatten()
    {
        if part.len() >= 3 && !s.iter().any(|x| x == part) {
            s.push(part.to_string());
        }
    }
    // Longest first, so the whole token is replaced before its secret half.
    s.sort_by_key(|x| std::cmp::Reverse(x.len()));
}

/// The text with every registered secret replaced by `***`.
pub fn redact(text: &str) -> String {
    let s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in s.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// Logs an event.
pub fn info(text: &str) {
    eprintln!(
        "{} cloudcost-bot: {}",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        redact(text)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_token_and_its_secret_half() {
        protect("123456:SECRET-abc");
        assert_eq!(
            redact("GET /bot123456:SECRET-abc/getMe and SECRET-abc"),
            "GET /bot***/getMe and ***"
        );
    }
}
