//! `cloudcost pricing update` end to end, against a feed server this test starts on 127.0.0.1
//! (no other address is ever contacted): the feeds are copies of AWS's own, from
//! `../shared/price-sources/`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};

use super::cloudcost_cmd;

const PREFIX: &str = "/pricing/2.0/meteredUnitMaps/";
const ON_DEMAND: &str =
    "ec2/USD/current/ec2-ondemand-without-sec-sel/EU (Ireland)/Linux/index.json";
const RESERVED: &str =
    "ec2/USD/current/ec2-reservedinstance/1 year/No Upfront/EU (Ireland)/Linux/Shared/index.json";

/// The eu-west-1 feeds of the ec2.shop copy: on-demand Linux and 1-year standard no-upfront RIs.
fn feeds() -> &'static (String, String) {
    static FEEDS: OnceLock<(String, String)> = OnceLock::new();
    FEEDS.get_or_init(|| {
        let archive = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/price-sources/ec2.shop-74c9fd8a-ec2-ebs-feeds.tar.xz"
        );
        let dir = tempfile::tempdir().unwrap();
        let base = "yeo-ec2.shop-74c9fd8a/data/ec2";
        let o = std::process::Command::new("tar")
            .arg("-xJf")
            .arg(archive)
            .arg("-C")
            .arg(dir.path())
            .arg(format!("{base}/eu-west-1-ondemand.json"))
            .arg(format!("{base}/eu-west-1-reservedinstance-1y.json"))
            .output()
            .expect("runs tar");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let read = |f: &str| std::fs::read_to_string(dir.path().join(base).join(f)).unwrap();
        (
            read("eu-west-1-ondemand.json"),
            read("eu-west-1-reservedinstance-1y.json"),
        )
    })
}

/// How the server answers.
#[derive(Clone, Debug, PartialEq)]
enum Fault {
    /// Every request: this status.
    Status(u16),
    /// This path: the headers announce the whole body, half of it is sent, the connection closes.
    Truncate(String),
}

#[derive(Default)]
struct State {
    /// Path below PREFIX (decoded) → (body, ETag).
    files: HashMap<String, (Vec<u8>, String)>,
    fault: Option<Fault>,
    /// Request lines and the headers that matter, in order.
    log: Vec<String>,
}

/// A feed server on 127.0.0.1; answers CONNECT too, so that it can stand as a proxy.
struct FeedServer {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl FeedServer {
    fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        let server = FeedServer { port, state };
        let (od, ri) = feeds();
        server.put(ON_DEMAND, od);
        server.put(RESERVED, ri);
        server
    }

    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}{}",
            self.port,
            PREFIX.trim_end_matches('/')
        )
    }

    /// Serves `body` at `path` with a new ETag.
    fn put(&self, path: &str, body: &str) {
        let mut s = self.state.lock().unwrap();
        let etag = format!("\"v{}\"", s.files.len() + s.log.len());
        s.files
            .insert(path.into(), (body.as_bytes().to_vec(), etag));
    }

    fn fault(&self, fault: Option<Fault>) {
        self.state.lock().unwrap().fault = fault;
    }

    fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let mut st = state.lock().unwrap();
        st.log.push(format!(
            "{method} {target} if-none-match={}",
            headers.get("if-none-match").map_or("-", |v| v.as_str())
        ));
        if method == "CONNECT" {
            drop(st);
            let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            continue; // the tunnelled request follows on the same connection
        }
        let path = decode(target.strip_prefix(PREFIX).unwrap_or(target));
        let respond = |stream: &mut TcpStream, status: &str, extra: &str, body: &[u8], sent| {
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[..sent]);
            let _ = stream.flush();
        };
        match (&st.fault, st.files.get(&path)) {
            (Some(Fault::Status(code)), _) => {
                respond(&mut stream, &format!("{code} Oops"), "", b"oops", 4)
            }
            (Some(Fault::Truncate(p)), Some((body, etag))) if *p == path => respond(
                &mut stream,
                "200 OK",
                &format!("ETag: {etag}\r\n"),
                body,
                body.len() / 2,
            ),
            (_, Some((_, etag))) if headers.get("if-none-match") == Some(etag) => {
                respond(&mut stream, "304 Not Modified", "", b"", 0)
            }
            (_, Some((body, etag))) => respond(
                &mut stream,
                "200 OK",
                &format!(
                    "ETag: {etag}\r\nLast-Modified: Sat, 05 Apr 2025 00:00:00 GMT\r\nContent-Type: application/json\r\n"
                ),
                body,
                body.len(),
            ),
            (_, None) => respond(&mut stream, "404 Not Found", "", b"<Error/>", 8),
        }
        return;
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Runs `cloudcost` with the user catalog in `dir`, the feeds at `url`, and no proxy from the
/// environment.
fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut c = cloudcost_cmd();
    for v in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(v);
    }
    c.env("CLOUDCOST_CATALOG_DIR", dir)
        .env("CLOUDCOST_PRICING_URL", url)
        .args(args)
        .output()
        .unwrap()
}

const UPDATE: [&str; 6] = [
    "pricing",
    "update",
    "--region",
    "eu-west-1",
    "--service",
    "ec2",
];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every file below `dir` with its contents: to show that a failed update changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// A first, successful update into a new directory.
fn updated() -> (FeedServer, tempfile::TempDir) {
    let server = FeedServer::start();
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &server.url(), &UPDATE);
    assert!(o.status.success(), "{}", text(&o.stderr));
    (server, dir)
}

#[test]
fn update_writes_a_catalog_then_304_changes_nothing_then_a_new_price_is_summarised() {
    let server = FeedServer::start();
    let dir = tempfile::tempdir().unwrap();

    // 200: the feeds the server has are downloaded, the others are not published (404).
    let o = run(dir.path(), &server.url(), &UPDATE);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        out.contains("39 feeds from http://127.0.0.1:")
            && out.contains("2 downloaded, 0 unchanged, 37 not published"),
        "{out}"
    );
    assert!(out.contains("catalog written to"), "{out}");
    // The built-in catalog already holds these prices, from a later copy of the same feeds.
    assert!(out.contains("prices unchanged"), "{out}");
    let raw = dir.path().join("feeds").join(ON_DEMAND);
    assert_eq!(std::fs::read_to_string(&raw).unwrap(), feeds().0);
    assert!(raw.with_extension("json.meta").is_file());

    // The updated prices are read over the built-in catalog by every command.
    let o = run(
        dir.path(),
        &server.url(),
        &["prices", "m5.large", "--region", "eu-west-1"],
    );
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains("0.107") && out.contains("on-demand"), "{out}");
    let o = run(dir.path(), &server.url(), &["pricing", "files"]);
    assert!(text(&o.stdout).contains("updated/"), "{}", text(&o.stdout));

    // 304: the ETag is sent back, nothing is rewritten.
    let before = snapshot(dir.path());
    let o = run(dir.path(), &server.url(), &UPDATE);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        out.contains("0 downloaded, 2 unchanged") && out.contains("prices unchanged"),
        "{out}"
    );
    assert_eq!(snapshot(dir.path()), before);
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("Linux/index.json") && l.contains("if-none-match=\"v")),
        "{:?}",
        server.log()
    );

    // A newer feed with a lower price: the summary says what changed.
    let newer = feeds()
        .0
        .replace("2025-04-04T22:41:22Z", "2026-09-01T00:00:00Z");
    let newer = change_price(&newer, "m5.large", "0.1070000000", "0.1040000000");
    server.put(ON_DEMAND, &newer);
    let o = run(dir.path(), &server.url(), &UPDATE);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.contains("1 downloaded, 1 unchanged"), "{out}");
    assert!(
        out.contains("m5.large eu-west-1 on-demand 0.107 → 0.104"),
        "{out}"
    );
    let o = run(
        dir.path(),
        &server.url(),
        &["prices", "m5.large", "--region", "eu-west-1"],
    );
    assert!(text(&o.stdout).contains("0.104"), "{}", text(&o.stdout));
}

/// The feed with one instance type's price replaced (the feed is one JSON object per rate).
fn change_price(feed: &str, instance_type: &str, old: &str, new: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(feed).unwrap();
    let mut n = 0;
    for rates in v["regions"].as_object_mut().unwrap().values_mut() {
        for rate in rates.as_object_mut().unwrap().values_mut() {
            if rate["Instance Type"] == instance_type && rate["price"] == old {
                rate["price"] = new.into();
                n += 1;
            }
        }
    }
    assert_eq!(n, 1);
    serde_json::to_string(&v).unwrap()
}

#[test]
fn server_error_names_the_url_and_keeps_the_old_catalog() {
    let (server, dir) = updated();
    let before = snapshot(dir.path());
    server.fault(Some(Fault::Status(500)));
    let o = run(dir.path(), &server.url(), &UPDATE);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("HTTP 500")
            && err.contains(&format!("http://127.0.0.1:{}{PREFIX}ec2/", server.port)),
        "{err}"
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn truncated_body_is_an_error_and_keeps_the_old_catalog() {
    let (server, dir) = updated();
    let before = snapshot(dir.path());
    let newer = change_price(&feeds().0, "m5.large", "0.1070000000", "0.1040000000");
    server.put(ON_DEMAND, &newer);
    server.fault(Some(Fault::Truncate(ON_DEMAND.into())));
    let o = run(dir.path(), &server.url(), &UPDATE);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("EU%20(Ireland)/Linux/index.json")
            && err.contains("did not complete")
            && err.contains("truncated"),
        "{err}"
    );
    assert_eq!(snapshot(dir.path()), before);
    // Nothing half-written is left beside the feeds either (temporary files are gone).
    let o = run(
        dir.path(),
        &server.url(),
        &["prices", "m5.large", "--region", "eu-west-1"],
    );
    assert!(text(&o.stdout).contains("0.107"), "{}", text(&o.stdout));
}

#[test]
fn unknown_layout_names_the_url_and_the_expected_layout() {
    let (server, dir) = updated();
    let before = snapshot(dir.path());
    // An AWS Price List offer file is JSON too, but not a pricing-page feed.
    server.put(
        ON_DEMAND,
        r#"{"formatVersion":"v1.0","offerCode":"AmazonEC2","products":{},"terms":{}}"#,
    );
    let o = run(dir.path(), &server.url(), &UPDATE);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("EU%20(Ireland)/Linux/index.json")
            && err.contains("not a pricing feed of the expected layout")
            && err.contains("no `manifest`")
            && err.contains("expected a JSON object with `manifest`"),
        "{err}"
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn offline_says_so_in_one_line() {
    // A port nothing listens on: the connection is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/pricing/2.0/meteredUnitMaps");
    let o = run(dir.path(), &url, &UPDATE);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: offline: cannot reach 127.0.0.1:{port} (connection refused)"
        )) && err.contains("keeps using the catalog it has"),
        "{err}"
    );
    assert!(!dir.path().join("catalog").exists());
}

#[test]
fn goes_through_the_proxy_of_the_environment() {
    let proxy = FeedServer::start();
    // The feed URL itself points at a closed port: only the proxy can answer.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let o = cloudcost_cmd()
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .env("CLOUDCOST_CATALOG_DIR", dir.path())
        .env(
            "CLOUDCOST_PRICING_URL",
            format!("http://127.0.0.1:{closed}{}", PREFIX.trim_end_matches('/')),
        )
        .args(UPDATE)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        proxy
            .log()
            .iter()
            .any(|l| l.starts_with(&format!("CONNECT 127.0.0.1:{closed}"))),
        "{:?}",
        proxy.log()
    );
    assert!(
        text(&o.stdout).contains("2 downloaded"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn bad_arguments_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        "http://127.0.0.1:9/x",
        &["pricing", "update", "--region", "mars-1"],
    );
    assert!(
        text(&o.stderr).contains("unknown region `mars-1`: expected one of"),
        "{}",
        text(&o.stderr)
    );
    let o = run(
        dir.path(),
        "http://127.0.0.1:9/x",
        &["pricing", "update", "--service", "route53"],
    );
    assert!(
        text(&o.stderr).contains("unknown service `route53`"),
        "{}",
        text(&o.stderr)
    );
    let o = run(dir.path(), "ftp://127.0.0.1/x", &["pricing", "update"]);
    assert!(
        text(&o.stderr).contains("expected an http:// or https:// URL"),
        "{}",
        text(&o.stderr)
    );
}
