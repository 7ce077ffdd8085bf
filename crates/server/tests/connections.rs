//! Connection limits over raw TCP: half-sent headers, idle keep-alive connections and trickled
//! bodies are cut off after their timeouts, connections beyond the limit wait, and `/metrics` is
//! served only with its token or on its own listener. SQLite only: nothing here is about the
//! database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use keiretsu_server::metrics::MetricsToken;
use keiretsu_server::{AppState, ServerSettings};
use keiretsu_testkit::{Db, TestServer, test_settings};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SHORT: Duration = Duration::from_secs(1);
/// Far more than any timeout under test, so a hang fails the test instead of stalling it.
const PATIENCE: Duration = Duration::from_secs(15);

async fn start(server: ServerSettings) -> TestServer {
    TestServer::start_full(Db::Sqlite, test_settings(), server).await
}

async fn connect(s: &TestServer) -> TcpStream {
    TcpStream::connect(s.base.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the server closes the connection (end of stream or reset); returns what came and
/// how long it took, or `None` if it was still open after `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<(Vec<u8>, Duration)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some((got, start.elapsed()))
}

/// Reads one response with a `Content-Length` body; the connection stays open.
async fn response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .map_or(0, |v| v.parse::<usize>().unwrap());
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await.expect("a response in time").unwrap();
        assert!(n > 0, "closed before a whole response: {text:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: keiretsu\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_closed_after_the_header_timeout() {
    let s = start(ServerSettings { header_read_timeout: SHORT, ..ServerSettings::default() }).await;
    let mut c = connect(&s).await;
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: keiretsu\r\nX-Slow: ").await.unwrap();
    let (got, took) = until_closed(&mut c, PATIENCE).await.expect("the half-sent request is closed");
    assert!(took >= SHORT - Duration::from_millis(200), "closed after {took:?}, before the timeout");
    assert!(!String::from_utf8_lossy(&got).contains(" 200 "), "{}", String::from_utf8_lossy(&got));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let s = start(ServerSettings { header_read_timeout: SHORT, ..ServerSettings::default() }).await;
    let mut c = connect(&s).await;
    c.write_all(HEALTHZ).await.unwrap();
    let first = response(&mut c).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // Kept alive: a second request on the same connection is answered.
    c.write_all(HEALTHZ).await.unwrap();
    assert!(response(&mut c).await.starts_with("HTTP/1.1 200"));
    // Then idle: closed once the header timeout passes without a next request.
    let (got, took) = until_closed(&mut c, PATIENCE).await.expect("the idle connection is closed");
    assert!(took >= SHORT - Duration::from_millis(200), "closed after {took:?}, before the timeout");
    assert!(got.is_empty() || got.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&got));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_is_cut_off() {
    let s = start(ServerSettings { request_body_timeout: SHORT, ..ServerSettings::default() }).await;
    let mut c = connect(&s).await;
    c.write_all(
        b"POST /api/v1/tokens HTTP/1.1\r\nHost: keiretsu\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
    )
    .await
    .unwrap();
    let (mut read, mut write) = c.into_split();
    // A byte every 200 ms: never idle for the timeout, so only a whole-body deadline stops it.
    let trickle = tokio::spawn(async move {
        for _ in 0..75 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if write.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    assert!(closed.is_ok(), "the trickling request was not cut off");
    let took = start.elapsed();
    assert!(took >= SHORT - Duration::from_millis(200), "cut off after {took:?}, before the deadline");
    // The answer is 408, unless the close raced a trickled byte and reset the connection first.
    let text = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    if !got.is_empty() {
        assert!(text.contains("/problems/request-timeout"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_requests_still_work_under_short_timeouts() {
    let s =
        start(ServerSettings { header_read_timeout: SHORT, request_body_timeout: SHORT, ..ServerSettings::default() })
            .await;
    // Bodies that arrive at once, a sign-in and an authenticated read, over one client.
    let (org, admin) = s.org("Acme", "acme.admin").await;
    let (st, me) = admin.get("/api/v1/me").await;
    assert_eq!(st, StatusCode::OK, "{me}");
    assert_eq!(me["organization_id"].as_str(), Some(org.as_str()), "{me}");
    let wrong = serde_json::json!({"login": "acme.admin", "password": "not-the-password", "name": "t"});
    let (st, _) = s.client().post("/api/v1/tokens", wrong.clone()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A body sent in pieces, each well within the deadline, is read whole.
    let body = wrong.to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut c = connect(&s).await;
    let request = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nHost: keiretsu\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    c.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.write_all(tail.as_bytes()).await.unwrap();
    let answer = response(&mut c).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let s = start(ServerSettings { max_client_connections: 2, ..ServerSettings::default() }).await;
    let mut first = connect(&s).await;
    first.write_all(HEALTHZ).await.unwrap();
    assert!(response(&mut first).await.starts_with("HTTP/1.1 200"));
    let mut second = connect(&s).await;
    second.write_all(HEALTHZ).await.unwrap();
    assert!(response(&mut second).await.starts_with("HTTP/1.1 200"));
    // Both stay open (keep-alive); a third is not accepted, so its request is not answered...
    let mut third = connect(&s).await;
    third.write_all(HEALTHZ).await.unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(early.is_err(), "the third connection was served beyond the limit: {early:?}");
    // ...until one of the first two closes.
    drop(first);
    assert!(response(&mut third).await.starts_with("HTTP/1.1 200"));
    second.write_all(HEALTHZ).await.unwrap();
    assert!(response(&mut second).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_their_token() {
    let s =
        start(ServerSettings { metrics_token: MetricsToken::new("scrape-secret"), ..ServerSettings::default() }).await;
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", s.base);
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let res = http.get(&url).bearer_auth("scrape-secreT").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http.get(&url).bearer_auth("scrape-secret").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("keiretsu_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}"), "{text}");
    assert!(text.contains("keiretsu_journal_revision"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_metrics_are_only_on_their_own_listener() {
    let s = start(ServerSettings::default()).await;
    let res = reqwest::get(format!("{}/metrics", s.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A token on the main listener does not open it: it is simply not routed.
    let res = reqwest::Client::new().get(format!("{}/metrics", s.base)).bearer_auth("x").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(s.svc.clone(), ServerSettings::default());
    tokio::spawn(keiretsu_server::serve_metrics(listener, state, std::future::pending()));
    let res = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("keiretsu_journal_revision"));
    // Only the metrics: nothing of the API or console there.
    assert_eq!(reqwest::get(format!("{base}/healthz")).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(reqwest::get(format!("{base}/api/v1/me")).await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_idle_connections_and_returns() {
    let s = start(ServerSettings::default()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(s.svc.clone(), ServerSettings::default());
    let served = tokio::spawn(keiretsu_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(HEALTHZ).await.unwrap();
    assert!(response(&mut c).await.starts_with("HTTP/1.1 200"));
    // Idle, with a header timeout of ten seconds: shutdown must not wait for it.
    stop.send(()).unwrap();
    let started = Instant::now();
    tokio::time::timeout(PATIENCE, served).await.expect("serve returns").unwrap().unwrap();
    assert!(started.elapsed() < keiretsu_server::DEFAULT_HEADER_READ_TIMEOUT, "{:?}", started.elapsed());
    assert!(until_closed(&mut c, PATIENCE).await.is_some(), "the idle connection is closed");
    assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
}

/// Requests hyper refuses before the router sees them still get problem details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparseable_requests_get_problem_details() {
    let s = start(ServerSettings::default()).await;
    let long = format!("GET /api/v1/{} HTTP/1.1\r\nHost: keiretsu\r\n\r\n", "a".repeat(70 * 1024));
    let huge_header = format!("GET /healthz HTTP/1.1\r\nHost: keiretsu\r\nX-Pad: {}\r\n\r\n", "b".repeat(512 * 1024));
    let cases = [
        (long.as_bytes(), "414", "/problems/uri-too-long"),
        (huge_header.as_bytes(), "431", "/problems/headers-too-large"),
        (&b"GET /healthz HTTP/1.1\r\nHost keiretsu\r\n\r\n"[..], "400", "/problems/malformed-request"),
    ];
    for (request, status, kind) in cases {
        let mut c = connect(&s).await;
        // The server may answer and close before the whole request is written.
        let _ = c.write_all(request).await;
        let (got, _) = until_closed(&mut c, PATIENCE).await.expect("closed after the answer");
        let text = String::from_utf8_lossy(&got);
        let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/problem+json"), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(problem["type"], kind, "{problem}");
        assert_eq!(problem["status"].as_u64().map(|s| s.to_string()).as_deref(), Some(status), "{problem}");
    }
    // The server still answers normal requests.
    let mut c = connect(&s).await;
    c.write_all(HEALTHZ).await.unwrap();
    assert!(response(&mut c).await.starts_with("HTTP/1.1 200"));
}
