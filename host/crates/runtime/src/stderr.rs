//! The plugin's stderr capture: a bounded buffer cleared before every
//! call, so a panic message reaches the fault without a chatty plugin
//! filling memory.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi_io::bytes::Bytes;

/// The plugin's stderr: keeps the first `capacity` bytes written since the
/// last [`StderrCapture::clear`] and silently drops the rest (the stream
/// never reports full, so a chatty plugin never spins or traps on it).
#[derive(Clone)]
pub struct StderrCapture {
    buf: Arc<Mutex<Vec<u8>>>,
    capacity: usize,
}

impl StderrCapture {
    /// An empty capture of at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: Arc::new(Mutex::new(Vec::new())),
            capacity,
        }
    }

    /// Forgets what was written (before each call).
    pub fn clear(&self) {
        self.buf.lock().expect("stderr lock").clear();
    }

    /// What was written, lossy UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().expect("stderr lock")).into_owned()
    }

    fn append(&self, bytes: &[u8]) {
        let mut buf = self.buf.lock().expect("stderr lock");
        let room = self.capacity.saturating_sub(buf.len());
        buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

/// Largest write the capture invites at once (wasmtime-wasi's own pipes
/// use the same order of magnitude).
const STDERR_PERMIT: usize = 64 << 10;

impl OutputStream for StderrCapture {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(STDERR_PERMIT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for StderrCapture {
    async fn ready(&mut self) {}
}

impl IsTerminal for StderrCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for StderrCapture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for StderrCapture {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
