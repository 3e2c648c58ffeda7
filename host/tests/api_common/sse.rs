//! Reading a Server-Sent Events response in tests: open a stream, take
//! its events one by one (30 s each at most).
#![allow(dead_code)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::api_common::Server;

/// An open event stream.
pub struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    pub async fn open(s: &Server, path: &str, key: Option<&str>) -> Self {
        let mut req = s.client.get(format!("{}{path}", s.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        Self {
            resp,
            buf: String::new(),
        }
    }

    /// The next event's name and JSON data; `None` when the stream ended.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        let (event, data) = self.next_raw().await?;
        let v = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{event} {data}: {e}"));
        Some((event, v))
    }

    /// The next event's name and data as sent (keep-alive comments
    /// skipped); `None` when the stream ended.
    pub async fn next_raw(&mut self) -> Option<(String, String)> {
        let read = async {
            loop {
                if let Some(end) = self.buf.find("\n\n") {
                    let frame: String = self.buf.drain(..end + 2).collect();
                    let (mut event, mut data) = (String::new(), String::new());
                    for line in frame.lines() {
                        if let Some(e) = line.strip_prefix("event: ") {
                            event = e.to_string();
                        } else if let Some(d) = line.strip_prefix("data: ") {
                            data = d.to_string();
                        }
                    }
                    if !event.is_empty() {
                        return Some((event, data));
                    }
                    continue;
                }
                let chunk = self.resp.chunk().await.unwrap()?;
                self.buf.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .unwrap_or_else(|_| panic!("no event; buffered {:?}", self.buf))
    }

    /// The next event, which must be `name`.
    pub async fn expect(&mut self, name: &str) -> Value {
        let (e, v) = self.next().await.expect("the stream ended");
        assert_eq!(e, name, "{v}");
        v
    }
}
