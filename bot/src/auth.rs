//! Who gets what: chats on `allowed_chats` get billing data; users on `admins` may change
//! budgets; every other chat gets one polite refusal per window and nothing else.
//!
//! Refusals are rate-limited twice, so the bot cannot be used to spam anyone: at most one per
//! chat per `refusal_window`, and at most `refusals_per_minute` over all chats. A refusal
//! names nothing: no total, no service, no resource, no chat id.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The one message an unauthorized chat gets.
pub const REFUSAL: &str = "Sorry, this bot only answers the chats it was set up for. \
If you run it, add this chat's id to allowed_chats in bot.toml.";

/// What to do with a message from a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The chat may see billing data.
    Allowed,
    /// Not allowed: send the refusal.
    Refuse,
    /// Not allowed, and already refused lately: say nothing.
    Ignore,
}

/// The allowlist and the refusal limiter.
#[derive(Debug)]
pub struct Auth {
    allowed: Vec<i64>,
    admins: Vec<u64>,
    window: chrono::Duration,
    per_minute: usize,
    last_refusal: HashMap<i64, DateTime<Utc>>,
    recent: VecDeque<DateTime<Utc>>,
}

impl Auth {
    /// An allowlist of chats and admins, with the refusal limits.
    pub fn new(allowed: Vec<i64>, admins: Vec<u64>, window: Duration, per_minute: u32) -> Auth {
        Auth {
            allowed,
            admins,
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::hours(1)),
            per_minute: per_minute as usize,
            last_refusal: HashMap::new(),
            recent: VecDeque::new(),
        }
    }

    /// Whether `chat` may see billing data, and if not whether to refuse now.
    pub fn check(&mut self, chat: i64, now: DateTime<Utc>) -> Access {
        if self.allowed.contains(&chat) {
            return Access::Allowed;
        }
        if self
            .last_refusal
            .get(&chat)
            .is_some_and(|t| now - *t < self.window)
        {
            return Access::Ignore;
        }
        while self
            .recent
            .front()
            .is_some_and(|t| now - *t >= chrono::Duration::minutes(1))
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.per_minute {
            return Access::Ignore;
        }
        // Forget old entries so the map cannot grow without bound.
        let window = self.window;
        self.last_refusal.retain(|_, t| now - *t < window);
        self.last_refusal.insert(chat, now);
        self.recent.push_back(now);
        Access::Refuse
    }

    /// Whether `user` may change budgets.
    pub fn is_admin(&self, user: Option<u64>) -> bool {
        user.is_some_and(|u| self.admins.contains(&u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_once_per_window_and_caps_the_rate() {
        let mut a = Auth::new(vec![1], vec![9], Duration::from_secs(3600), 2);
        let t = Utc::now();
        assert_eq!(a.check(1, t), Access::Allowed);
        assert_eq!(a.check(2, t), Access::Refuse);
        assert_eq!(
            a.check(2, t + chrono::Duration::minutes(59)),
            Access::Ignore
        );
        assert_eq!(
            a.check(2, t + chrono::Duration::minutes(61)),
            Access::Refuse
        );
        // Global cap: two refusals a minute.
        let t2 = t + chrono::Duration::hours(5);
        assert_eq!(a.check(3, t2), Access::Refuse);
        assert_eq!(a.check(4, t2), Access::Refuse);
        assert_eq!(a.check(5, t2), Access::Ignore);
        assert_eq!(
            a.check(5, t2 + chrono::Duration::minutes(2)),
            Access::Refuse
        );
        assert!(a.is_admin(Some(9)) && !a.is_admin(Some(1)) && !a.is_admin(None));
    }
}
