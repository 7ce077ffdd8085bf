//! The connection's byte stream, where it matters: hyper answers a request it cannot parse (a
//! malformed head, a URI over 64 KiB, headers over its buffer) on its own, with an empty body,
//! before any router sees it. Clients of the API are promised problem details for every error,
//! so those canned answers are rewritten on their way out.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ProblemType;

/// A stream that replaces hyper's bodiless parse-error answers with problem details.
pub struct ProblemOnParseError<S> {
    inner: S,
    /// A replacement being written, and how many bytes of hyper's own answer it stands for.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> ProblemOnParseError<S> {
    pub fn new(inner: S) -> Self {
        ProblemOnParseError { inner, pending: None }
    }
}

/// The problem document for one of hyper's canned answers, if `head` is one. hyper writes the
/// whole head in one go and nothing after it (it closes the connection), and an answer the
/// router made always has a body, so a head with `content-length: 0` and one of these statuses
/// can only be hyper's.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let (kind, detail) = if head.starts_with(b"HTTP/1.1 414 ") {
        (ProblemType::UriTooLong, "the request's URI is longer than the server reads (64 KiB)")
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        (ProblemType::HeadersTooLarge, "the request's headers are larger than the server reads")
    } else if head.starts_with(b"HTTP/1.1 400 ") {
        (ProblemType::MalformedRequest, "the request is not well-formed HTTP/1.1")
    } else {
        return None;
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if end != head.len() || !head.to_ascii_lowercase().windows(19).any(|w| w == b"\r\ncontent-length: 0") {
        return None;
    }
    let body = serde_json::json!({
        "type": kind.uri(),
        "title": kind.title(),
        "status": kind.status().as_u16(),
        "detail": detail,
    })
    .to_string();
    let status_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut out = Vec::with_capacity(200 + body.len());
    out.extend_from_slice(status_line);
    out.extend_from_slice(b"\ncontent-type: application/problem+json\r\n");
    out.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body.as_bytes());
    Some(out)
}

impl<S: AsyncWrite + Unpin> ProblemOnParseError<S> {
    /// Writes what is pending; done reports the length of hyper's answer as written.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some((rest, stands_for)) = &mut self.pending {
            if rest.is_empty() {
                let n = *stands_for;
                self.pending = None;
                return Poll::Ready(Ok(n));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            rest.drain(..n);
        }
        Poll::Ready(Ok(0))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemOnParseError<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemOnParseError<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.pending.is_none() {
            match replacement(buf) {
                Some(out) => self.pending = Some((out, buf.len())),
                None => return Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        self.drain(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // A canned answer is a head alone, in one slice; everything else passes through whole.
        match bufs.iter().find(|b| !b.is_empty()) {
            Some(first) if self.pending.is_some() || replacement(first).is_some() => self.poll_write(cx, first),
            _ => Pin::new(&mut self.inner).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_bodiless_parse_error_heads_are_replaced() {
        let canned = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 12:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(replacement(canned).expect("replaced")).unwrap();
        assert!(out.starts_with("HTTP/1.1 414 URI Too Long\r\ncontent-type: application/problem+json\r\n"));
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["type"], "/problems/uri-too-long");
        assert_eq!(problem["status"], 414);
        // The router's own 414 (with a body), any other status, or a head followed by more bytes.
        assert!(replacement(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 80\r\n\r\n").is_none());
        assert!(replacement(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}").is_none());
    }
}
