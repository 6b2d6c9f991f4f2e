//! The loopback listener of a sign-in: the one-time launch address and the redirect, 127.0.0.1 only, this user only, closed after use.

use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Html;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Notify};

use crate::error::{Error, ErrorCode, Result};
use crate::flow::Callback;
use crate::views::AccountView;

/// What the listener hands over to the sign-in service: it never holds the engine.
#[derive(Debug)]
pub enum Request {
    /// A callback to complete; the outcome comes back on `reply`.
    Callback {
        callback: Callback,
        reply: oneshot::Sender<Result<AccountView>>,
    },
    /// The launch address was opened twice: cancel this provider's sign-in.
    Cancel { provider: String },
}

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

/// The one-time address the browser is opened on: it redirects to the provider's authorize URL,
/// so `state`, the PKCE challenge and the nonce never appear on a command line (which every
/// user of the machine can read in `/proc`). Opened a second time, it cancels the sign-in.
pub struct Launch {
    /// The random path segment of `/start/<token>`.
    pub token: crate::secret::Secret,
    /// Where the first visit is sent.
    pub target: url::Url,
    /// The provider whose sign-in a second visit cancels.
    pub provider: String,
}

#[derive(Clone)]
struct Ctx {
    requests: mpsc::Sender<Request>,
    done: Arc<Notify>,
    /// Whether this listener receives the provider's redirect (loopback mode), or only serves
    /// the launch address (deep-link mode).
    accepts_callbacks: bool,
    launch: Arc<std::sync::Mutex<Option<(Launch, bool)>>>,
    port: u16,
}

/// Serves the launch address and callbacks until one answers the sign-in (success or a definite
/// failure), `closed` is notified (the sign-in was cancelled, replaced or finished another way),
/// or `lifetime` passes. Stray, forged or mixed-up requests get an error page and change nothing;
/// requests from another user's processes, or naming another host, are refused before anything
/// is read.
pub fn serve(
    listener: TcpListener,
    requests: mpsc::Sender<Request>,
    lifetime: Duration,
    closed: Arc<Notify>,
    launch: Launch,
    accepts_callbacks: bool,
) {
    let done = Arc::new(Notify::new());
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let ctx = Ctx {
        requests,
        done: done.clone(),
        accepts_callbacks,
        launch: Arc::new(std::sync::Mutex::new(Some((launch, false)))),
        port,
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
        if let Err(e) = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
        {
            tracing::warn!(error = %e, "loopback listener stopped with an error");
        }
    });
}

type Reply = (StatusCode, HeaderMap, Html<String>);

async fn handle(
    State(ctx): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Reply {
    if !host_is_ours(&headers, ctx.port) {
        return reply(
            StatusCode::MISDIRECTED_REQUEST,
            page("Not found", "Nothing to see here."),
        );
    }
    if !peer_is_this_user(peer, ctx.port) {
        tracing::warn!(
            peer = %peer,
            "sign-in listener: a connection from another user's program was refused"
        );
        return reply(
            StatusCode::FORBIDDEN,
            page(
                "Not allowed",
                "This sign-in belongs to another user of this computer.",
            ),
        );
    }
    if let Some(token) = uri.path().strip_prefix("/start/") {
        return launch(&ctx, token).await;
    }
    if !ctx.accepts_callbacks {
        return reply(
            StatusCode::NOT_FOUND,
            page("Not found", "Nothing to see here."),
        );
    }
    let cb = match Callback::from_loopback(uri.path(), query.as_deref()) {
        Ok(cb) => cb,
        Err(_) => {
            return reply(
                StatusCode::NOT_FOUND,
                page("Not found", "Nothing to see here."),
            )
        }
    };
    let (reply_tx, reply_rx) = oneshot::channel();
    let handed = ctx
        .requests
        .send(Request::Callback {
            callback: cb,
            reply: reply_tx,
        })
        .await;
    let outcome = match (handed, reply_rx.await) {
        (Ok(()), Ok(outcome)) => outcome,
        _ => Err(Error::new(
            ErrorCode::SignInExpired,
            "Signet is no longer waiting for this sign-in. Start it again from Signet.",
        )),
    };
    match outcome {
        Ok(view) => {
            ctx.done.notify_one();
            reply(
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
        Err(e) if is_stray(&e) => reply(
            StatusCode::BAD_REQUEST,
            page("Sign-in not accepted", &e.message),
        ),
        Err(e) => {
            ctx.done.notify_one();
            reply(StatusCode::OK, page("Sign-in did not complete", &e.message))
        }
    }
}

/// `/start/<token>`: the first visit is redirected to the provider; a second one cancels the
/// sign-in (somebody else saw the address), and a wrong token changes nothing.
async fn launch(ctx: &Ctx, token: &str) -> Reply {
    use subtle::ConstantTimeEq;
    let outcome = {
        let Ok(mut guard) = ctx.launch.lock() else {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                page("Error", "Try again."),
            );
        };
        match guard.as_mut() {
            Some((l, used)) if bool::from(l.token.expose().as_bytes().ct_eq(token.as_bytes())) => {
                if *used {
                    Err(l.provider.clone())
                } else {
                    *used = true;
                    Ok(l.target.to_string())
                }
            }
            _ => {
                return reply(
                    StatusCode::NOT_FOUND,
                    page("Not found", "Nothing to see here."),
                )
            }
        }
    };
    match outcome {
        Ok(target) => {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&target) {
                h.insert(header::LOCATION, v);
            }
            (StatusCode::FOUND, h, Html(String::new()))
        }
        Err(provider) => {
            tracing::warn!(
                provider,
                "sign-in start address opened twice: sign-in cancelled"
            );
            let _ = ctx.requests.send(Request::Cancel { provider }).await;
            ctx.done.notify_one();
            reply(
                StatusCode::GONE,
                page(
                    "Sign-in cancelled",
                    "This sign-in address was opened twice, so Signet cancelled the sign-in to keep it safe. Nothing was changed. Start it again from Signet.",
                ),
            )
        }
    }
}

fn reply(status: StatusCode, body: Html<String>) -> Reply {
    (status, HeaderMap::new(), body)
}

/// The browser names the address it was given: `127.0.0.1:<port>` (or `localhost:<port>`).
/// Any other `Host` is a page of another site reaching the listener through DNS rebinding.
fn host_is_ours(headers: &HeaderMap, port: u16) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}")
}

/// Whether the peer's socket belongs to this user. On Linux the owner of the peer's end is read
/// from `/proc/net/tcp` (a loopback peer's socket is listed there with its uid); elsewhere the
/// check is not available and `state` stays the only proof (see SECURITY.md).
fn peer_is_this_user(peer: SocketAddr, port: u16) -> bool {
    #[cfg(target_os = "linux")]
    {
        let me = rustix::process::geteuid().as_raw();
        match std::fs::read_to_string("/proc/net/tcp") {
            Ok(table) => socket_owner(&table, peer, port) == Some(me),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (peer, port);
        true
    }
}

/// The uid owning the socket whose local end is `peer` and remote end is 127.0.0.1:`port`,
/// from the text of `/proc/net/tcp`.
pub fn socket_owner(table: &str, peer: SocketAddr, port: u16) -> Option<u32> {
    let SocketAddr::V4(peer) = peer else {
        return None;
    };
    let want_local = endpoint_hex(*peer.ip(), peer.port());
    let want_remote = endpoint_hex(std::net::Ipv4Addr::LOCALHOST, port);
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.len() > 7
            && f[1].eq_ignore_ascii_case(&want_local)
            && f[2].eq_ignore_ascii_case(&want_remote))
        .then(|| f[7].parse().ok())
        .flatten()
    })
}

/// How `/proc/net/tcp` prints an IPv4 endpoint: the address as a native-endian integer, then the port.
fn endpoint_hex(ip: std::net::Ipv4Addr, port: u16) -> String {
    format!("{:08X}:{:04X}", u32::from_ne_bytes(ip.octets()), port)
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
