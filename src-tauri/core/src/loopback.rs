//! The loopback redirect listener: 127.0.0.1 only, answers the browser with a short page, closes after use.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::flow::Callback;

/// Binds 127.0.0.1:`port` (0 = any free port). Never a wildcard address: the listener must not
/// be reachable from the network.
pub async fn bind(port: u16) -> Result<TcpListener> {
    // A fixed port may still be held for a moment by the listener of a sign-in just replaced.
    for _ in 0..20 {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Err(e) if port != 0 && e.kind() == std::io::ErrorKind::AddrInUse => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other.map_err(|e| bind_error(port, e)),
        }
    }
    TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| bind_error(port, e))
}

fn bind_error(port: u16, e: std::io::Error) -> Error {
    {
        Error::new(
            ErrorCode::SetupProblem,
            if port == 0 {
                format!("Signet could not open a local port for the sign-in ({e}).")
            } else {
                format!("Signet needs local port {port} for this sign-in (it is the registered redirect URI), but it is in use ({e}). Close the program using it and try again.")
            },
        )
    }
}

#[derive(Clone)]
struct Ctx {
    engine: Engine,
    done: Arc<Notify>,
}

/// Serves callbacks until one answers the sign-in (success or a definite failure), `closed` is
/// notified (the sign-in was cancelled, replaced or finished another way), or `lifetime` passes.
/// Stray, forged or mixed-up requests get an error page and change nothing.
pub fn serve(listener: TcpListener, engine: Engine, lifetime: Duration, closed: Arc<Notify>) {
    let done = Arc::new(Notify::new());
    let ctx = Ctx {
        engine,
        done: done.clone(),
    };
    let app = Router::new().fallback(handle).with_state(ctx);
    tokio::spawn(async move {
        let stop = async move {
            tokio::select! {
                _ = done.notified() => {}
                _ = closed.notified() => {}
                _ = tokio::time::sleep(lifetime) => {}
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(error = %e, "loopback listener stopped with an error");
        }
    });
}

async fn handle(
    State(ctx): State<Ctx>,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> (StatusCode, Html<String>) {
    let cb = match Callback::from_loopback(uri.path(), query.as_deref()) {
        Ok(cb) => cb,
        Err(_) => {
            return (
                StatusCode::NOT_FOUND,
                page("Not found", "Nothing to see here."),
            )
        }
    };
    match ctx.engine.complete_sign_in(cb).await {
        Ok(view) => {
            ctx.done.notify_one();
            (
                StatusCode::OK,
                page(
                    "Signed in",
                    &format!(
                        "Signed in to {} as {}. You can close this tab and return to Signet.",
                        view.provider, view.display_name
                    ),
                ),
            )
        }
        Err(e) if is_stray(&e) => (
            StatusCode::BAD_REQUEST,
            page("Sign-in not accepted", &e.message),
        ),
        Err(e) => {
            ctx.done.notify_one();
            (StatusCode::OK, page("Sign-in did not complete", &e.message))
        }
    }
}

/// Errors that do not belong to the sign-in this listener waits for: keep listening.
fn is_stray(e: &Error) -> bool {
    matches!(
        e.code,
        ErrorCode::UnknownSignIn
            | ErrorCode::BadCallback
            | ErrorCode::ProviderMismatch
            | ErrorCode::IssuerMismatch
    )
}

fn page(title: &str, message: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signet — {t}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto\">\
         <h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
