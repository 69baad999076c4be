//! [`RestServer`]: the REST API served on a thread of its own, with its own small
//! single-threaded tokio runtime, so that the engine (which runs on plain threads) needs no
//! async runtime and the API stays responsive whatever the job's threads do.
//!
//! The listening socket is bound by [`RestServer::start`] on the caller's thread, so a taken
//! port is an error there and then, naming the address. Shutdown ([`RestServer::shutdown`] or
//! drop) stops accepting, drops open connections and joins the thread.
//!
//! It is **not** where requests are answered ([`crate::routes`]). Its I/O: one TCP listener
//! and its connections.

use crate::error::{RestError, Result};
use crate::registry::JobRegistry;
use crate::routes;
use std::future::IntoFuture;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use weir_core::config::Configuration;
use weir_runtime::config::{REST_BIND_ADDRESS, REST_PORT};

/// The address the REST API listens on, from `rest.bind-address` and `rest.port`.
pub fn bind_address(config: &Configuration) -> std::result::Result<SocketAddr, RestError> {
    let host = config.get(&REST_BIND_ADDRESS).map_err(RestError::Config)?;
    let port = config.get(&REST_PORT).map_err(RestError::Config)?;
    resolve(&host, port)
}

/// The first address `host` resolves to, with `port`.
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    let address = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let unresolved = |message: String| RestError::Address { address: address.clone(), message };
    let mut addresses = (host, port).to_socket_addrs().map_err(|e| unresolved(e.to_string()))?;
    addresses.next().ok_or_else(|| unresolved("it resolves to no address".to_string()))
}

/// A running REST API; see the module docs.
#[derive(Debug)]
pub struct RestServer {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RestServer {
    /// Binds `address` (port 0: any free port) and serves the jobs of `registry` on a new
    /// thread until shut down.
    pub fn start(address: SocketAddr, registry: JobRegistry) -> Result<RestServer> {
        let listener = TcpListener::bind(address).map_err(|source| {
            let address = address.to_string();
            match source.kind() {
                std::io::ErrorKind::AddrInUse => RestError::AddressInUse { address, source },
                _ => RestError::Bind { address, source },
            }
        })?;
        let local = listener.local_addr().map_err(|source| RestError::Bind { address: address.to_string(), source })?;
        listener.set_nonblocking(true).map_err(|source| RestError::Bind { address: local.to_string(), source })?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().map_err(RestError::Runtime)?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = routes::router(registry);
        let thread = std::thread::Builder::new()
            .name("weir-rest".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            tracing::error!("the REST API on {local} cannot use its socket: {error}");
                            return;
                        }
                    };
                    tokio::select! {
                        served = axum::serve(listener, app).into_future() => {
                            if let Err(error) = served {
                                tracing::error!("the REST API on {local} stopped: {error}");
                            }
                        }
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime drops every connection still open.
                drop(runtime);
            })
            .map_err(RestError::Runtime)?;
        Ok(RestServer { address: local, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The address it listens on (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving and waits for the server's thread to end.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The thread may have ended on its own already; then there is nothing to tell.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic in a handler is caught per connection by hyper; one here is logged by std.
            let _ = thread.join();
        }
    }
}

impl Drop for RestServer {
    fn drop(&mut self) {
        self.stop();
    }
}
