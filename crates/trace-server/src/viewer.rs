//! The built-in viewer: one HTML page, a style sheet and ES modules, compiled into the binary
//! (no build step, no CDN), which read only the JSON API.
//!
//! `/` is the search (its form lives in the URL: `/?service=checkout&lookback=2d`), and
//! `/trace/{id}` a trace (`?span=` selects a span); both are the same page, which routes on the
//! path. Assets are under `/static/`, revalidated by `ETag`.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Every file the page needs: (name under `/static/`, content type, bytes).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "viewer.css",
        "text/css; charset=utf-8",
        include_str!("../assets/viewer.css"),
    ),
    ("js/main.js", JS, include_str!("../assets/js/main.js")),
    ("js/api.js", JS, include_str!("../assets/js/api.js")),
    ("js/format.js", JS, include_str!("../assets/js/format.js")),
    ("js/dom.js", JS, include_str!("../assets/js/dom.js")),
    ("js/search.js", JS, include_str!("../assets/js/search.js")),
    ("js/trace.js", JS, include_str!("../assets/js/trace.js")),
    ("js/model.js", JS, include_str!("../assets/js/model.js")),
    (
        "js/waterfall.js",
        JS,
        include_str!("../assets/js/waterfall.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../assets/favicon.svg"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";

/// The page, for `/` and `/trace/{id}`.
const INDEX: &str = include_str!("../assets/index.html");

/// The page may load only its own files and call only its own API.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The viewer's routes (merged into the API router when the viewer is on).
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/trace/{id}", get(page))
        .route("/static/{*file}", get(asset))
}

async fn page(headers: HeaderMap) -> Response {
    let mut response = cached(&headers, "text/html; charset=utf-8", INDEX);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            let mut response = cached(&headers, content_type, body);
            response.headers_mut().insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// `body` with an `ETag` (a hash of the content, so a new build is fetched at once), or 304
/// when the browser already has it.
fn cached(request: &HeaderMap, content_type: &'static str, body: &'static str) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// FNV-1a, 64 bits: enough to tell builds apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
