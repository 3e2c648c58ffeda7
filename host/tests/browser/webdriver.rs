//! A small W3C WebDriver client over reqwest, enough for the browser
//! suite: sessions on Debian's `chromedriver` driving headless
//! `chromium`, navigation, elements by CSS selector, script execution,
//! windows and screenshots. (A client crate would add a second HTTP stack
//! for these dozen calls.)

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long `wait*` polls before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// One browser session and the chromedriver process behind it.
pub struct Driver {
    http: reqwest::Client,
    url: String,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where a binary is, from `var` or the Debian path.
fn binary(var: &str, default: &str) -> anyhow::Result<String> {
    let path = std::env::var(var).unwrap_or_else(|_| default.to_string());
    anyhow::ensure!(
        Path::new(&path).exists(),
        "{path} is missing: install Debian's chromium and chromium-driver (.ci/run does), or set {var}"
    );
    Ok(path)
}

impl Driver {
    /// Starts chromedriver and a headless Chromium session of `width` x
    /// `height`.
    pub async fn start(width: u32, height: u32) -> anyhow::Result<Self> {
        let driver = binary("VELTRIX_CHROMEDRIVER", "/usr/bin/chromedriver")?;
        let chromium = binary("VELTRIX_CHROMIUM", "/usr/bin/chromium")?;
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let t = Instant::now();
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            anyhow::ensure!(t.elapsed() < WAIT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                         format!("--window-size={width},{height}")],
            },
        }}});
        let mut d = Self {
            http,
            url: base.clone(),
            child,
        };
        let v = d.call(reqwest::Method::POST, "/session", caps).await?;
        let id = v["sessionId"]
            .as_str()
            .context("no session id")?
            .to_string();
        d.url = format!("{base}/session/{id}");
        d.resize(width, height).await?;
        Ok(d)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.url);
        let mut req = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let v: Value = req.send().await?.json().await?;
        if let Some(err) = v["value"]["error"].as_str() {
            bail!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        Ok(v["value"].clone())
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, body).await
    }

    /// Sets the window's size.
    pub async fn resize(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await
            .map(drop)
    }

    /// Opens `url` in the current window.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    /// The element `css` selects, if any now.
    pub async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await
            .ok()?;
        v[ELEMENT].as_str().map(str::to_string)
    }

    /// Waits until `css` selects a displayed element.
    pub async fn wait(&self, css: &str) -> anyhow::Result<String> {
        let t = Instant::now();
        loop {
            if let Some(e) = self.find(css).await {
                let shown = self.get(&format!("/element/{e}/displayed")).await;
                if matches!(shown, Ok(Value::Bool(true))) {
                    return Ok(e);
                }
            }
            if t.elapsed() > WAIT {
                bail!(
                    "`{css}` did not appear; page text: {}",
                    self.page_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `op` on the element `css` selects once it is displayed; when
    /// the page re-rendered it meanwhile (a stale reference) or something
    /// covers it (a toast intercepts the click), finds it again and
    /// retries, for up to [`WAIT`].
    async fn on_element<T, F, Fut>(&self, css: &str, op: F) -> anyhow::Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<T>>,
    {
        let t = Instant::now();
        loop {
            let e = self.wait(css).await?;
            match op(e).await {
                Err(err)
                    if t.elapsed() < WAIT
                        && ["stale", "intercepted"]
                            .iter()
                            .any(|w| err.to_string().contains(w)) =>
                {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
                done => return done.with_context(|| format!("on `{css}`")),
            }
        }
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, Value::Null).await
    }

    /// Clicks `css`, scrolled to the middle of the window.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.on_element(css, |e| async move {
            let el = json!({ ELEMENT: e });
            self.exec(
                "arguments[0].scrollIntoView({block: 'center'})",
                json!([el]),
            )
            .await?;
            self.post(&format!("/element/{e}/click"), json!({})).await
        })
        .await
        .map(drop)
    }

    /// Replaces the value of the input `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        self.on_element(css, |e| async move {
            self.post(&format!("/element/{e}/clear"), json!({})).await?;
            self.post(&format!("/element/{e}/value"), json!({ "text": text }))
                .await
        })
        .await
        .map(drop)
    }

    /// Picks the option of value `value` in the select `css` (as a user
    /// would: the page hears `change`).
    pub async fn select(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let t = Instant::now();
        loop {
            let e = self.wait(css).await?;
            let ok = self
                .exec(
                    "const s = arguments[0]; if (![...s.options].some(o => o.value === arguments[1])) return false; \
                     s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true})); return true",
                    json!([{ ELEMENT: e }, value]),
                )
                .await?;
            if ok == json!(true) {
                return Ok(());
            }
            anyhow::ensure!(t.elapsed() < WAIT, "`{css}` never offered {value:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Puts the local file `path` into the file input `css`.
    pub async fn type_file(&self, css: &str, path: &Path) -> anyhow::Result<()> {
        let e = self
            .find(css)
            .await
            .with_context(|| format!("no `{css}`"))?;
        self.post(
            &format!("/element/{e}/value"),
            json!({ "text": path.display().to_string() }),
        )
        .await
        .map(drop)
    }

    /// The rendered text of `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let v = self
            .on_element(css, |e| async move {
                self.get(&format!("/element/{e}/text")).await
            })
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// An attribute of `css`.
    pub async fn attr(&self, css: &str, name: &str) -> anyhow::Result<Option<String>> {
        let v = self
            .on_element(css, |e| async move {
                self.get(&format!("/element/{e}/attribute/{name}")).await
            })
            .await?;
        Ok(v.as_str().map(str::to_string))
    }

    /// The current `value` of the input `css` (the property: what the user
    /// or a script put there, not the HTML attribute).
    pub async fn value(&self, css: &str) -> anyhow::Result<String> {
        let v = self
            .on_element(css, |e| async move {
                self.get(&format!("/element/{e}/property/value")).await
            })
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Waits until the text of `css`, lowercased (pages uppercase some
    /// labels with CSS), satisfies `ok`; returns it.
    pub async fn wait_text(
        &self,
        css: &str,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let t = Instant::now();
        loop {
            if self.find(css).await.is_some()
                && let Ok(s) = self.text(css).await
                && ok(&s.to_lowercase())
            {
                return Ok(s);
            }
            if t.elapsed() > WAIT {
                let now = self.text(css).await.unwrap_or_default();
                let page: String = self.page_text().await.chars().take(2000).collect();
                bail!("`{css}` never showed {what}; it shows {now:?}; the page: {page}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`).
    pub async fn exec(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs an async `script`: it calls `arguments[arguments.length - 1]`
    /// with its result.
    pub async fn exec_async(&self, script: &str, args: Value) -> anyhow::Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// The page's visible text (for failure messages).
    pub async fn page_text(&self) -> String {
        self.exec(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    }

    /// Opens a new window and switches to it; returns its handle.
    pub async fn new_window(&self) -> anyhow::Result<String> {
        let v = self
            .post("/window/new", json!({ "type": "window" }))
            .await?;
        let h = v["handle"].as_str().context("no handle")?.to_string();
        self.switch(&h).await?;
        Ok(h)
    }

    /// The current window's handle.
    pub async fn window(&self) -> anyhow::Result<String> {
        let v = self.get("/window").await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Switches to window `handle`.
    pub async fn switch(&self, handle: &str) -> anyhow::Result<()> {
        self.post("/window", json!({ "handle": handle }))
            .await
            .map(drop)
    }

    /// Saves a PNG of the current window to `path`.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let v = self.get("/screenshot").await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().context("no screenshot")?)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Grants `origin` the geolocation permission, as a player answering
    /// the browser's prompt would.
    pub async fn grant_geolocation(&self, origin: &str) -> anyhow::Result<()> {
        self.cdp(
            "Browser.grantPermissions",
            json!({ "origin": origin, "permissions": ["geolocation"] }),
        )
        .await
    }

    /// Where the device is, for the current window (Chromium's emulation,
    /// through chromedriver's DevTools passthrough).
    pub async fn geolocation(&self, lat: f64, lon: f64, accuracy_m: f64) -> anyhow::Result<()> {
        self.cdp(
            "Emulation.setGeolocationOverride",
            json!({ "latitude": lat, "longitude": lon, "accuracy": accuracy_m }),
        )
        .await
    }

    async fn cdp(&self, cmd: &str, params: Value) -> anyhow::Result<()> {
        self.post("/goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
            .await
            .map(drop)
    }

    /// Turns the browser's network off or on (chromedriver's network
    /// conditions), for the offline queue.
    pub async fn offline(&self, off: bool) -> anyhow::Result<()> {
        self.post(
            "/chromium/network_conditions",
            json!({ "network_conditions": {
                "offline": off, "latency": 0,
                "download_throughput": -1, "upload_throughput": -1,
            }}),
        )
        .await
        .map(drop)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ending the session closes Chromium (killing chromedriver alone
        // would orphan it). Plain blocking HTTP: no runtime in a drop.
        use std::io::{Read as _, Write as _};
        if let Some(rest) = self.url.strip_prefix("http://")
            && let Some((host, path)) = rest.split_once('/')
            && let Ok(mut s) = std::net::TcpStream::connect(host)
        {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let req =
                format!("DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            if s.write_all(req.as_bytes()).is_ok() {
                let _ = s.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
