//! The web router on its own: every page and asset answers with its
//! content type, `no-cache` and the CSP; `/qr` renders SVG and refuses an
//! oversize body; no page or module references a script the router does
//! not serve.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use tower::ServiceExt as _;
use veltrix_web::{ASSETS, PAGES, headers::CSP, qr::MAX_TEXT_BYTES, router};

async fn call(app: &Router, method: Method, path: &str, body: Body) -> Response {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(body)
        .unwrap();
    app.clone().oneshot(req).await.unwrap()
}

async fn get(app: &Router, path: &str) -> (Response, String) {
    let resp = call(app, Method::GET, path, Body::empty()).await;
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn header_of(resp: &Response, name: header::HeaderName) -> &str {
    resp.headers()
        .get(&name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

/// The concrete path of a page route (`{token}` filled in).
fn concrete(path: &str) -> String {
    path.replace("{token}", "abc123")
}

#[tokio::test]
async fn every_page_answers_html_with_the_csp() {
    let app = router();
    for page in PAGES {
        let path = concrete(page.path);
        let (resp, body) = get(&app, &path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header_of(&resp, header::CONTENT_TYPE),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(header_of(&resp, header::CACHE_CONTROL), "no-cache");
        assert_eq!(header_of(&resp, header::CONTENT_SECURITY_POLICY), CSP);
        assert!(body.starts_with("<!doctype html>"), "{path}");
        // No inline script or style: the CSP would refuse them.
        assert!(!body.contains("<script>"), "{path}: inline script");
        assert!(!body.contains("<style"), "{path}: inline style");
        assert!(!body.contains(" style=\""), "{path}: style attribute");
        assert!(!body.contains(" onclick="), "{path}: inline handler");
    }
}

#[tokio::test]
async fn the_projector_page_is_the_same_for_any_token() {
    let app = router();
    let (_, a) = get(&app, "/screen/one").await;
    let (_, b) = get(&app, "/screen/another-token").await;
    assert_eq!(a, b);
    assert!(a.contains("/assets/screen.js"));
}

#[tokio::test]
async fn every_asset_answers_with_its_content_type_and_the_csp() {
    let app = router();
    for asset in ASSETS {
        let path = asset.path();
        let (resp, body) = get(&app, &path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header_of(&resp, header::CONTENT_TYPE),
            asset.content_type,
            "{path}"
        );
        assert_eq!(header_of(&resp, header::CONTENT_SECURITY_POLICY), CSP);
        assert_eq!(header_of(&resp, header::CACHE_CONTROL), "no-cache");
        assert_eq!(header_of(&resp, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(!body.is_empty(), "{path}");
        let expected = match path.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset kind {other:?}"),
        };
        assert!(asset.content_type.starts_with(expected), "{path}");
    }
}

/// `src="/assets/x.js"` in HTML and `from './x.js'` in modules.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [("src=\"", '"'), ("href=\"/assets/", '"'), ("from '", '\'')] {
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            rest = &rest[i + open.len()..];
            let end = rest.find(close).unwrap();
            let target = &rest[..end];
            let path = if open.starts_with("href") {
                format!("/assets/{target}")
            } else if let Some(name) = target.strip_prefix("./") {
                format!("/assets/{name}")
            } else {
                target.to_string()
            };
            if path.starts_with("/assets/") {
                out.push(path);
            }
            rest = &rest[end..];
        }
    }
    out
}

#[tokio::test]
async fn every_script_a_page_or_module_loads_is_served() {
    let app = router();
    let mut scripts = 0;
    for page in PAGES {
        let path = concrete(page.path);
        let (_, html) = get(&app, &path).await;
        let mut todo = references(&html);
        let mut seen = std::collections::BTreeSet::new();
        while let Some(r) = todo.pop() {
            if !seen.insert(r.clone()) {
                continue;
            }
            let (resp, body) = get(&app, &r).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path} loads {r}");
            if r.ends_with(".js") {
                scripts += 1;
                todo.extend(references(&body));
            }
        }
        if page.path != "/" {
            assert!(
                seen.iter().any(|s| s.ends_with(".js")),
                "{path} loads no script"
            );
        }
    }
    assert!(scripts > 10, "only {scripts} scripts reached");
}

#[tokio::test]
async fn every_asset_is_reached_from_some_page() {
    let app = router();
    let mut seen = std::collections::BTreeSet::new();
    for page in PAGES {
        let (_, html) = get(&app, &concrete(page.path)).await;
        let mut todo = references(&html);
        while let Some(r) = todo.pop() {
            if seen.insert(r.clone()) && r.ends_with(".js") {
                let (_, body) = get(&app, &r).await;
                todo.extend(references(&body));
            }
        }
    }
    for asset in ASSETS {
        assert!(
            seen.contains(&asset.path()),
            "{} is never loaded",
            asset.name
        );
    }
}

#[tokio::test]
async fn qr_answers_svg() {
    let app = router();
    let text = "http://127.0.0.1:8080/play#token=vx_player_0123456789abcdef";
    let resp = call(&app, Method::POST, "/qr", Body::from(text)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_of(&resp, header::CONTENT_TYPE), "image/svg+xml");
    assert_eq!(header_of(&resp, header::CONTENT_SECURITY_POLICY), CSP);
    let body = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let svg = String::from_utf8(body.to_vec()).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.contains("<path") || svg.contains("<rect"), "{svg}");
    // The text is encoded, not echoed.
    assert!(!svg.contains("vx_player_"));
}

#[tokio::test]
async fn qr_refuses_an_oversize_or_empty_body_and_other_methods() {
    let app = router();
    let big = "x".repeat(MAX_TEXT_BYTES + 1);
    let resp = call(&app, Method::POST, "/qr", Body::from(big)).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let resp = call(&app, Method::POST, "/qr", Body::empty()).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = call(&app, Method::GET, "/qr", Body::empty()).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    // At the limit it still fits in a QR code (version 40 takes 2,953 bytes).
    let max = "y".repeat(MAX_TEXT_BYTES);
    let resp = call(&app, Method::POST, "/qr", Body::from(max)).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_router_has_no_fallback_to_clash_with_the_apis() {
    // Merging into a router with a fallback panics if this one has one too.
    let api_like = Router::new().fallback(|| async { StatusCode::IM_A_TEAPOT });
    let app = api_like.merge(router());
    let resp = call(&app, Method::GET, "/nope", Body::empty()).await;
    assert_eq!(resp.status(), StatusCode::IM_A_TEAPOT);
    let resp = call(&app, Method::GET, "/console", Body::empty()).await;
    assert_eq!(resp.status(), StatusCode::OK);
}
