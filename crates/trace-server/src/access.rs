//! Access control (basic or bearer credentials, checked in constant time) and CORS.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{Access, Cors};
use crate::reply::ApiError;

/// The realm browsers show when they ask for basic credentials.
const REALM: &str = "otel-lp traces";

/// Middleware: passes requests that carry an accepted credential, answers others 401.
pub(crate) async fn require_credentials(
    State(access): State<Arc<Access>>,
    request: Request,
    next: Next,
) -> Response {
    if allows(&access, request.headers()) {
        return next.run(request).await;
    }
    let error = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: "credentials required: send Authorization: Basic or Bearer as configured".into(),
    };
    let mut response = if request.uri().path().starts_with("/api/v3/") {
        error.v3()
    } else {
        error.v1()
    };
    let challenge = match &*access {
        Access::Restricted { basic: Some(_), .. } => {
            format!("Basic realm=\"{REALM}\", charset=\"UTF-8\"")
        }
        _ => format!("Bearer realm=\"{REALM}\""),
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `true` when `headers` carry a credential `access` accepts.
pub(crate) fn allows(access: &Access, headers: &HeaderMap) -> bool {
    let Access::Restricted { basic, bearer } = access else {
        return true;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, credential)) = given.trim().split_once(' ') else {
        return false;
    };
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("basic")
        && let Some((user, password)) = basic
    {
        let expected = format!("{user}:{password}");
        return BASE64
            .decode(credential)
            .is_ok_and(|decoded| same(&decoded, expected.as_bytes()));
    }
    if scheme.eq_ignore_ascii_case("bearer")
        && let Some(token) = bearer
    {
        return same(credential.as_bytes(), token.as_bytes());
    }
    false
}

/// Compares secrets without stopping at the first difference (timing tells an attacker only
/// the length).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CORS layer for `cors`, or `None` when it is off. Read-only: `GET` (and `HEAD`); the
/// `Authorization` header may be sent.
pub(crate) fn cors_layer(cors: &Cors) -> Option<CorsLayer> {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::AUTHORIZATION, header::ACCEPT, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600));
    match cors {
        Cors::Off => None,
        Cors::Any => Some(base.allow_origin(AllowOrigin::any())),
        Cors::Origins(origins) => {
            let origins: Vec<HeaderValue> = origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
                .collect();
            Some(
                base.allow_origin(AllowOrigin::list(origins))
                    .allow_credentials(true),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        headers
    }

    #[test]
    fn credentials() {
        let access = Access::basic("admin", "pa:ss").or_bearer("t0ken");
        let basic = format!("Basic {}", BASE64.encode("admin:pa:ss"));
        assert!(allows(&access, &headers(&basic)));
        assert!(allows(&access, &headers(&basic.replace("Basic", "basic"))));
        assert!(allows(&access, &headers("Bearer t0ken")));
        for wrong in [
            format!("Basic {}", BASE64.encode("admin:pa:sS")),
            format!("Basic {}", BASE64.encode("admin")),
            "Basic !!!".into(),
            "Bearer t0ken2".into(),
            "Bearer".into(),
            "t0ken".into(),
            "Digest t0ken".into(),
        ] {
            assert!(!allows(&access, &headers(&wrong)), "{wrong}");
        }
        assert!(!allows(&access, &HeaderMap::new()));
        assert!(!allows(&Access::bearer("x"), &headers(&basic)));
        assert!(allows(&Access::Open, &HeaderMap::new()));
    }
}
