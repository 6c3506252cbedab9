//! A fake Telegram Bot API server on 127.0.0.1: speaks the Bot API's JSON (getMe, getUpdates,
//! sendMessage, sendPhoto, setMyCommands), records every request, holds the updates the test
//! pushes, and injects scripted failures into the send methods: 429 with `retry_after`, 500,
//! a connection closed without an answer, and 403 "bot was blocked by the user".

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The bot's username.
pub const USERNAME: &str = "cloudcost_test_bot";

/// A scripted failure of one send request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `parameters.retry_after` seconds.
    TooMany(u32),
    /// 500 Internal Server Error.
    ServerError,
    /// Close the connection without answering.
    Drop,
}

/// How the server answered a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200 OK.
    Ok,
    /// A scripted fault.
    Fault(Fault),
    /// 403: the chat blocked the bot.
    Blocked,
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Bot API method, e.g. `sendMessage`.
    pub method: String,
    /// The token in the URL.
    pub token: String,
    /// Target chat of a send method.
    pub chat_id: Option<i64>,
    /// Text of sendMessage, caption of sendPhoto.
    pub text: Option<String>,
    /// `parse_mode`.
    pub parse_mode: Option<String>,
    /// The photo bytes of sendPhoto.
    pub photo: Option<Vec<u8>>,
    /// How it was answered.
    pub outcome: Outcome,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    updates: Vec<Value>,
    next_update: i64,
    next_message: i64,
    faults: VecDeque<(Option<i64>, Fault)>,
    blocked: HashSet<i64>,
}

/// The fake server.
#[derive(Clone)]
pub struct FakeTelegram {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<State>>,
    updates_ready: Arc<Notify>,
}

impl FakeTelegram {
    /// Starts a server on an ephemeral loopback port.
    pub async fn start() -> FakeTelegram {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let server = FakeTelegram {
            url: format!("http://{addr}"),
            state: Arc::new(Mutex::new(State {
                next_update: 1000,
                next_message: 1,
                ..Default::default()
            })),
            updates_ready: Arc::new(Notify::new()),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let svc = hyper::service::service_fn(move |req| {
                        let s = s.clone();
                        async move { s.handle(req).await }
                    });
                    // An error ends the connection without an answer: that is the Drop fault.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                });
            }
        });
        server
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a text message from `user` in `chat` for getUpdates.
    pub fn push_text(&self, chat: i64, user: u64, text: &str) {
        let mut st = self.state();
        let id = st.next_update;
        st.next_update += 1;
        let mid = st.next_message;
        st.next_message += 1;
        let chat_json = if chat < 0 {
            json!({"id": chat, "type": "group", "title": "ops"})
        } else {
            json!({"id": chat, "type": "private", "first_name": "Test"})
        };
        let mut msg = json!({
            "message_id": mid,
            "date": 1_790_000_000,
            "chat": chat_json,
            "from": {"id": user, "is_bot": false, "first_name": "Test"},
            "text": text,
        });
        if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .encode_utf16()
                .count();
            msg["entities"] = json!([{"type": "bot_command", "offset": 0, "length": len}]);
        }
        st.updates.push(json!({"update_id": id, "message": msg}));
        drop(st);
        self.updates_ready.notify_waiters();
    }

    /// The next send request (to `chat`, or to any chat) fails with `fault`; scripted faults
    /// apply in order.
    pub fn fail_next(&self, chat: Option<i64>, fault: Fault) {
        self.state().faults.push_back((chat, fault));
    }

    /// Forgets the scripted faults not used yet.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// Every send to `chat` answers 403 "bot was blocked by the user".
    pub fn block(&self, chat: i64) {
        self.state().blocked.insert(chat);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// Requests of a method answered OK, to `chat` when given.
    pub fn delivered(&self, method: &str, chat: Option<i64>) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r.method == method
                    && r.outcome == Outcome::Ok
                    && chat.is_none_or(|c| r.chat_id == Some(c))
            })
            .collect()
    }

    /// Texts of the messages delivered to `chat`.
    pub fn texts(&self, chat: i64) -> Vec<String> {
        self.delivered("sendMessage", Some(chat))
            .into_iter()
            .filter_map(|r| r.text)
            .collect()
    }

    /// Scripted faults not used yet.
    pub fn faults_left(&self) -> usize {
        self.state().faults.len()
    }

    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, String> {
        let path = req.uri().path().to_string();
        let content_type = req
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = req
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let mut segs = path.trim_start_matches('/').splitn(2, '/');
        let token = segs
            .next()
            .unwrap_or("")
            .trim_start_matches("bot")
            .to_string();
        // teloxide names methods `GetMe`, `SendMessage`…; the Bot API ignores the case.
        let raw_method = segs.next().unwrap_or("").to_string();
        let method = [
            "getMe",
            "getUpdates",
            "sendMessage",
            "sendPhoto",
            "setMyCommands",
        ]
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(&raw_method))
        .map(str::to_string)
        .unwrap_or(raw_method);
        let fields = if content_type.starts_with("multipart/form-data") {
            parse_multipart(&content_type, &body)
        } else {
            serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null)
        };
        let chat_id = fields.get("chat_id").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        let text = fields
            .get("text")
            .or_else(|| fields.get("caption"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let parse_mode = fields
            .get("parse_mode")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let photo = fields
            .get("__photo_bytes")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|b| b.as_u64())
                    .map(|b| b as u8)
                    .collect()
            });
        let is_send = matches!(method.as_str(), "sendMessage" | "sendPhoto");
        let outcome = {
            let mut st = self.state();
            if is_send && chat_id.is_some_and(|c| st.blocked.contains(&c)) {
                Outcome::Blocked
            } else if is_send {
                let pos = st
                    .faults
                    .iter()
                    .position(|(c, _)| c.is_none() || *c == chat_id);
                match pos.and_then(|p| st.faults.remove(p)) {
                    Some((_, f)) => Outcome::Fault(f),
                    None => Outcome::Ok,
                }
            } else {
                Outcome::Ok
            }
        };
        if method != "getUpdates" {
            self.state().requests.push(Recorded {
                method: method.clone(),
                token,
                chat_id,
                text: text.clone(),
                parse_mode,
                photo,
                outcome: outcome.clone(),
                at: Instant::now(),
            });
        }
        let error = |status: u16, description: &str, extra: Value| {
            let mut v = json!({"ok": false, "error_code": status, "description": description});
            if !extra.is_null() {
                v["parameters"] = extra;
            }
            reply(StatusCode::from_u16(status).unwrap(), v)
        };
        match outcome {
            Outcome::Fault(Fault::Drop) => return Err("dropped".into()),
            Outcome::Fault(Fault::TooMany(s)) => {
                return Ok(error(
                    429,
                    &format!("Too Many Requests: retry after {s}"),
                    json!({"retry_after": s}),
                ));
            }
            Outcome::Fault(Fault::ServerError) => {
                return Ok(error(500, "Internal Server Error", Value::Null));
            }
            Outcome::Blocked => {
                return Ok(error(
                    403,
                    "Forbidden: bot was blocked by the user",
                    Value::Null,
                ));
            }
            Outcome::Ok => {}
        }
        let result = match method.as_str() {
            "getMe" => json!({
                "id": 4242, "is_bot": true, "first_name": "cloudcost", "username": USERNAME,
                "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": false, "can_connect_to_business": false,
                "has_main_web_app": false
            }),
            "getUpdates" => return Ok(self.get_updates(&fields).await),
            "sendMessage" | "sendPhoto" => {
                let mut st = self.state();
                let mid = st.next_message;
                st.next_message += 1;
                let mut m = json!({
                    "message_id": mid,
                    "date": 1_790_000_000,
                    "chat": {"id": chat_id.unwrap_or(0), "type": "private", "first_name": "Test"},
                });
                if method == "sendMessage" {
                    m["text"] = json!(text.unwrap_or_default());
                } else {
                    m["photo"] = json!([{
                        "file_id": "f", "file_unique_id": "u", "width": 1200, "height": 700
                    }]);
                }
                m
            }
            _ => json!(true),
        };
        Ok(reply(StatusCode::OK, json!({"ok": true, "result": result})))
    }

    async fn get_updates(&self, fields: &Value) -> Response<Full<Bytes>> {
        let offset = fields.get("offset").and_then(|v| v.as_i64()).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_millis(300);
        loop {
            let notified = self.updates_ready.notified();
            let batch: Vec<Value> = {
                let mut st = self.state();
                st.updates
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                st.updates.clone()
            };
            let now = Instant::now();
            if !batch.is_empty() || now >= deadline {
                return reply(StatusCode::OK, json!({"ok": true, "result": batch}));
            }
            let _ = tokio::time::timeout(deadline - now, notified).await;
        }
    }
}

fn reply(status: StatusCode, v: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())))
        .unwrap()
}

/// The fields of a multipart/form-data body: text fields as strings, the `photo` file's bytes
/// under `__photo_bytes`.
fn parse_multipart(content_type: &str, body: &[u8]) -> Value {
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    else {
        return Value::Null;
    };
    let boundary = format!("--{}", boundary.trim_matches('"'));
    let mut out = serde_json::Map::new();
    let parts = split_bytes(body, boundary.as_bytes());
    for part in parts {
        let Some(head_end) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..head_end]).to_string();
        let mut content = &part[head_end + 4..];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let Some(name) = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| {
                n.split(['\r', '\n'])
                    .next()
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_string()
            })
        else {
            continue;
        };
        if head.contains("filename=") {
            // teloxide may attach the file under its own part name: any file is the photo.
            let _ = name;
            out.insert(
                "__photo_bytes".to_string(),
                Value::Array(content.iter().map(|b| json!(b)).collect()),
            );
        } else {
            let v = String::from_utf8_lossy(content).to_string();
            // teloxide sends non-string fields JSON-encoded (chat_id as a number).
            let parsed = serde_json::from_str::<Value>(&v).unwrap_or(Value::String(v));
            out.insert(name, parsed);
        }
    }
    Value::Object(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(body: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(i) = find(rest, sep) {
        if i > 0 {
            parts.push(&rest[..i]);
        }
        rest = &rest[i + sep.len()..];
        if rest.starts_with(b"\r\n") {
            rest = &rest[2..];
        }
    }
    parts
}
