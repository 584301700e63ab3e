//! The dashboard single-page app's built files (`dashboard/dist`, made by
//! `npm run build` in `dashboard/`), served at `/` by ferry-local and by the
//! dashboard-api function, next to the API under `/api/v1`.
//!
//! Release builds embed the files at compile time, so build the dashboard
//! first; debug builds read them from `dashboard/dist` on every request, so
//! `npm run build` shows up on reload without recompiling. When there is no
//! build, `/` answers a short page saying how to make one.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;
use std::borrow::Cow;

#[derive(RustEmbed)]
#[folder = "../dist/"]
#[allow_missing = true]
struct Dist;

/// What `/` answers while `dashboard/dist` has no build.
const NOT_BUILT: &str = include_str!("not_built.html");

/// `/`, `/index.html` and `/assets/*` (the hashed scripts and styles).
/// The dashboard routes by the address's `#` part, so no other path is its.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    if !is_built() {
        tracing::warn!("the dashboard is not built: run `npm ci && npm run build` in dashboard/");
    }
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
}

/// Whether `dashboard/dist` holds a build (embedded, or on disk in debug builds).
pub fn is_built() -> bool {
    Dist::get("index.html").is_some()
}

/// One file ready to send.
struct File {
    bytes: Cow<'static, [u8]>,
    mime: String,
    /// A strong validator: the content's SHA-256, hex.
    etag: String,
    /// Hashed names never change content: cache them for a year.
    immutable: bool,
}

fn load(path: &str) -> Option<File> {
    let file = Dist::get(path)?;
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Some(File {
        mime: file.metadata.mimetype().to_owned(),
        bytes: file.data,
        etag,
        immutable: path.starts_with("assets/"),
    })
}

async fn index(headers: HeaderMap) -> Response {
    match load("index.html") {
        Some(file) => send(file, &headers),
        None => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            Html(NOT_BUILT),
        )
            .into_response(),
    }
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match load(&format!("assets/{path}")) {
        Some(file) => send(file, &headers),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "This dashboard file does not exist: reload the page to get the current dashboard.",
        )
            .into_response(),
    }
}

fn send(file: File, request: &HeaderMap) -> Response {
    let cache = if file.immutable {
        "public, max-age=31536000, immutable"
    } else {
        // The page itself is checked every time, so a new build shows at once.
        "no-cache"
    };
    let etag = HeaderValue::from_str(&file.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == file.etag));
    let headers = [
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (header::ETAG, etag),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let mime = HeaderValue::from_str(&file.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = (headers, file.bytes.into_owned()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, mime);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{to_bytes, Body};
    use axum::http::Request;
    use tower::ServiceExt;

    fn file(immutable: bool) -> File {
        File {
            bytes: Cow::Borrowed(b"console.log(1)"),
            mime: "text/javascript".into(),
            etag: "\"abc\"".into(),
            immutable,
        }
    }

    #[test]
    fn hashed_assets_are_cached_for_a_year_and_the_page_is_revalidated() {
        let asset = send(file(true), &HeaderMap::new());
        assert_eq!(asset.status(), StatusCode::OK);
        assert_eq!(
            asset.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(asset.headers()[header::CONTENT_TYPE], "text/javascript");
        assert_eq!(asset.headers()[header::ETAG], "\"abc\"");
        let page = send(file(false), &HeaderMap::new());
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
    }

    #[test]
    fn a_matching_etag_answers_not_modified_without_a_body() {
        let mut request = HeaderMap::new();
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"old\", \"abc\""),
        );
        assert_eq!(
            send(file(false), &request).status(),
            StatusCode::NOT_MODIFIED
        );
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"old\""));
        assert_eq!(send(file(false), &request).status(), StatusCode::OK);
    }

    async fn get(path: &str) -> (StatusCode, String) {
        let response = router::<()>()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 22).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_root_serves_the_dashboard_or_says_how_to_build_it() {
        let (status, body) = get("/").await;
        assert_eq!(status, StatusCode::OK);
        if is_built() {
            assert!(
                body.contains("<div id=\"app\">"),
                "not the dashboard: {body}"
            );
        } else {
            assert!(body.contains("npm run build"), "no build hint: {body}");
        }
    }

    #[tokio::test]
    async fn an_unknown_asset_is_not_found_rather_than_the_page() {
        let (status, body) = get("/assets/no-such-file-1234.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("reload the page"));
    }
}
