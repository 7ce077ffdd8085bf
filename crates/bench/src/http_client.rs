//! `--http-client ADDR`: the access benchmark's HTTP client, in a process of its own. As tasks in the
//! bench's runtime, the client (reqwest's pool, request building, wake-ups) ran on the server's own
//! worker threads and its cost was timed as the server's. Here it is the least a client can do: one
//! plain thread per core, each with one keep-alive `TcpStream`, raw HTTP/1.1 requests built before
//! the timing, and a response read up to its `Content-Length`.
//!
//! The parent writes the bearer token (an empty line for none), then one path a line, on the child's
//! stdin, so the token never shows on a command line. The child answers one line per request,
//! `index ns status allowed` (`allowed` from the JSON body, `-` when it has none).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context as _;

/// Connections, one per core of the machine the figures are quoted for.
const CONNECTIONS: usize = 2;
/// Untimed requests per connection before the timed ones.
const WARM_UP: usize = 200;

/// One timed request.
pub struct Sample {
    pub ns: u64,
    pub status: u16,
    pub allowed: Option<bool>,
}

/// Runs the client in a child process against `addr`: one sample per path, in path order.
pub fn run(addr: SocketAddr, token: Option<&str>, paths: &[String]) -> anyhow::Result<Vec<Sample>> {
    let token = token.unwrap_or("");
    let breaks = |s: &str| s.contains(['\r', '\n']);
    anyhow::ensure!(!breaks(token) && !paths.iter().any(|p| breaks(p)), "a path or the token holds a line break");
    let mut input = format!("{token}\n");
    for p in paths {
        input.push_str(p);
        input.push('\n');
    }
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--http-client", &addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    // The child reads all of its input before it answers, so writing first cannot deadlock.
    let wrote = child.stdin.take().context("the client's stdin")?.write_all(input.as_bytes());
    let out = child.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "the HTTP client failed ({})", out.status);
    wrote.context("writing the HTTP client's input")?;

    let mut samples: Vec<Option<Sample>> = (0..paths.len()).map(|_| None).collect();
    for line in String::from_utf8(out.stdout)?.lines() {
        let bad = || format!("the HTTP client answered {line:?}");
        let [i, ns, status, allowed] = line.split(' ').collect::<Vec<_>>()[..] else { anyhow::bail!(bad()) };
        let (i, ns, status) =
            (i.parse::<usize>().with_context(bad)?, ns.parse().with_context(bad)?, status.parse().with_context(bad)?);
        let allowed = match allowed {
            "true" => Some(true),
            "false" => Some(false),
            "-" => None,
            _ => anyhow::bail!(bad()),
        };
        *samples.get_mut(i).with_context(bad)? = Some(Sample { ns, status, allowed });
    }
    samples.into_iter().enumerate().map(|(i, s)| s.with_context(|| format!("no answer for {}", paths[i]))).collect()
}

/// The child's side: reads its input, runs the connections, prints the samples.
pub fn child(addr: &str) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let mut lines = input.lines();
    let token = lines.next().context("no token line on stdin")?;
    let auth = if token.is_empty() { String::new() } else { format!("Authorization: Bearer {token}\r\n") };
    let requests: Vec<Vec<u8>> =
        lines.map(|p| format!("GET {p} HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\n").into_bytes()).collect();

    let lanes: anyhow::Result<Vec<String>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..CONNECTIONS)
            .map(|lane| {
                let mine: Vec<(usize, &[u8])> =
                    requests.iter().map(Vec::as_slice).enumerate().skip(lane).step_by(CONNECTIONS).collect();
                s.spawn(move || connection(addr, &mine))
            })
            .collect();
        threads.into_iter().map(|t| t.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))?).collect()
    });
    let mut out = std::io::stdout().lock();
    for lane in lanes? {
        out.write_all(lane.as_bytes())?;
    }
    Ok(out.flush()?)
}

/// One connection: the warm-up, then every request timed on its own. Returns the answer's lines.
fn connection(addr: &str, requests: &[(usize, &[u8])]) -> anyhow::Result<String> {
    let mut conn = Conn::open(addr)?;
    for (_, r) in requests.iter().take(WARM_UP) {
        conn.get(r)?;
    }
    let mut timed = Vec::with_capacity(requests.len());
    let mut failed = false;
    for (i, r) in requests {
        let t = Instant::now();
        let status = conn.get(r)?;
        let ns = t.elapsed().as_nanos() as u64;
        timed.push((*i, ns, status, allowed(&conn.body)));
        // The parent names the failing path; the first failure's body says why.
        if !(200..300).contains(&status) && !failed {
            failed = true;
            eprintln!("HTTP {status}: {}", String::from_utf8_lossy(&conn.body));
        }
    }
    let mut out = String::with_capacity(timed.len() * 24);
    for (i, ns, status, allowed) in timed {
        let allowed = allowed.map_or("-", |a| if a { "true" } else { "false" });
        out.push_str(&format!("{i} {ns} {status} {allowed}\n"));
    }
    Ok(out)
}

fn allowed(body: &[u8]) -> Option<bool> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?.get("allowed")?.as_bool()
}

struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    fn open(addr: &str) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let reader = BufReader::with_capacity(16 * 1024, stream.try_clone()?);
        Ok(Conn { stream, reader, line: String::new(), body: vec![] })
    }

    /// Sends one request and reads the whole response: its status, the body left in `self.body`.
    fn get(&mut self, request: &[u8]) -> anyhow::Result<u16> {
        self.stream.write_all(request)?;
        self.read_line()?;
        let status: u16 = self
            .line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3)?.parse().ok())
            .with_context(|| format!("not an HTTP/1.1 status line: {:?}", self.line))?;
        anyhow::ensure!(status >= 200, "unexpected interim response: {:?}", self.line);
        let mut length = None;
        loop {
            self.read_line()?;
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').with_context(|| format!("not a header: {header:?}"))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().with_context(|| format!("Content-Length: {value}"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                anyhow::bail!("Transfer-Encoding: {value}; this client reads Content-Length bodies only");
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
                anyhow::bail!("the server closes the connection (HTTP {status}); the benchmark needs keep-alive");
            }
        }
        let length = length.with_context(|| format!("HTTP {status} without Content-Length"))?;
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        Ok(status)
    }

    /// The next line of the response, with its CRLF, into `self.line`.
    fn read_line(&mut self) -> anyhow::Result<()> {
        self.line.clear();
        self.reader.read_line(&mut self.line)?;
        anyhow::ensure!(self.line.ends_with("\r\n"), "the connection ended mid-response: {:?}", self.line);
        Ok(())
    }
}
