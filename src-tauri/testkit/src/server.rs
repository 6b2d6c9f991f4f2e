//! The accept loop: one task per connection, a per-connection kill switch, and every request
//! recorded and handed to the server's protocol.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use crate::http::{build, Outcome, Resp};
use crate::protocol::Protocol;
use crate::state::Shared;

/// Accepts connections until the task is aborted; each connection ends when it completes,
/// when a handler asks for a kill, or when `shutdown`'s sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    protocol: &'static dyn Protocol,
    shutdown: watch::Receiver<()>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // e.g. EMFILE: back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let shared = shared.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let svc_kill = kill.clone();
            let svc =
                service_fn(move |req| handle(shared.clone(), protocol, req, svc_kill.clone()));
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
            // Dropping `conn` here closes the socket without a response.
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    protocol: &'static dyn Protocol,
    req: Request<Incoming>,
    kill: Arc<Notify>,
) -> Result<Resp, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let (req, recorded) = build(parts, body);
    shared.record_request(recorded);
    let outcome = protocol.route(&shared, &req).await;
    match outcome {
        Outcome::Respond(resp) => Ok(resp),
        Outcome::Kill => {
            kill.notify_one();
            // The connection task drops this future together with the connection.
            std::future::pending().await
        }
    }
}
