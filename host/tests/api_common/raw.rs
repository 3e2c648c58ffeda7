//! Raw requests for the error suite (`api_errors.rs`): bodies and
//! headers sent exactly as given, and the JSON error assertion.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api_common::Server;

/// A response with the headers these tests look at.
pub struct Got {
    pub status: StatusCode,
    pub content_type: String,
    /// The `Allow` header (empty when absent).
    pub allow: String,
    pub replayed: bool,
    pub raw: String,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.raw).unwrap_or(Value::Null)
    }
}

/// A request with a raw body and exactly the headers given (no implied
/// content type).
pub async fn raw(
    s: &Server,
    method: Method,
    path: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Got {
    let mut req = s.client.request(method, format!("{}{path}", s.base));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    for (h, v) in headers {
        // `header` appends: a name given twice is sent twice.
        req = req.header(*h, *v);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    Got {
        status: resp.status(),
        content_type: resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default(),
        allow: resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default(),
        replayed: resp
            .headers()
            .get("idempotency-replayed")
            .is_some_and(|v| v == "true"),
        raw: resp.text().await.unwrap(),
    }
}

/// A bodiless HTTP/1.1 request whose target is sent byte for byte.
pub async fn unresolved(s: &Server, method: &str, target: &str, key: &str) -> Got {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {key}\r\nconnection: close\r\n\r\n"
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse::<u16>().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    Got {
        status: StatusCode::from_u16(status).unwrap(),
        content_type,
        allow: String::new(),
        replayed: false,
        raw: body.to_string(),
    }
}

pub const JSON: (&str, &str) = ("content-type", "application/json");

/// Asserts the status and the error body's shape and code.
#[track_caller]
pub fn is_error(g: &Got, status: StatusCode, code: &str, what: &str) {
    assert_eq!(g.status, status, "{what}: {}", g.raw);
    assert_eq!(g.content_type, "application/json", "{what}: {}", g.raw);
    let v = g.json();
    let obj = v.as_object().unwrap_or_else(|| panic!("{what}: {}", g.raw));
    assert_eq!(obj.len(), 1, "{what}: {}", g.raw);
    let err = v["error"].as_object().expect("error object");
    assert_eq!(err.len(), 2, "{what}: {}", g.raw);
    assert_eq!(v["error"]["code"], code, "{what}: {}", g.raw);
    let msg = v["error"]["message"].as_str().expect("message");
    assert!(!msg.is_empty(), "{what}");
}
