//! ferry-local's runtime: every function in one process on embedded
//! adapters — the HTTP router, transfer workers fed by an in-process queue,
//! the scheduler every minute and the reminders every hour.

use crate::cli::StoreKind;
use crate::keys;
use ferry::clock::SystemClock;
use ferry::connectors::address::Network;
use ferry::connectors::http::HttpClient;
use ferry::connectors::Connectors;
use ferry::mail::outbox::OutboxMailer;
use ferry::model::TransferStatus;
use ferry::queue::memory::{MemoryQueue, MemoryReceiver};
use ferry::queue::TransferMessage;
use ferry::seal::Sealer;
use ferry::store::embedded::EmbeddedStore;
use ferry::store::{Store, TransferQuery};
use ferry::{Ferry, Limits};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub store: StoreKind,
    /// Transfers delivered at the same time.
    pub workers: usize,
    pub limits: Limits,
    pub http_timeout: Duration,
    /// Which addresses connectors may reach: public ones only unless
    /// `FERRY_ALLOW_PRIVATE_NETWORKS=1` (or `--demo`, whose sandboxes are
    /// on loopback).
    pub network: Network,
    /// How often the scheduler pass runs (a minute, as on AWS).
    pub scheduler_every: Duration,
    /// How often the reminders pass runs (an hour, as on AWS).
    pub reminders_every: Duration,
    /// With [`StoreKind::Dynamodb`]: this client and table instead of ones
    /// from the environment (`AWS_*`, `FERRY_TABLE`). The `dynamo_writes`
    /// benchmark passes a client that counts the requests it sends.
    pub dynamodb: Option<crate::dynamodb::Table>,
}

impl Options {
    pub fn new(listen: SocketAddr, data_dir: PathBuf, store: StoreKind) -> Self {
        Self {
            listen,
            data_dir,
            store,
            workers: 8,
            limits: Limits::default(),
            http_timeout: Duration::from_secs(10),
            network: Network::from_env(),
            scheduler_every: Duration::from_secs(60),
            reminders_every: Duration::from_secs(3600),
            dynamodb: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use the data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the store: {0}")]
    Store(String),
    #[error("{0}")]
    Config(#[from] ferry::config::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl From<crate::dynamodb::OpenError> for StartError {
    fn from(error: crate::dynamodb::OpenError) -> Self {
        match error {
            crate::dynamodb::OpenError::Config(e) => StartError::Config(e),
            crate::dynamodb::OpenError::Create(e) => StartError::Store(e),
        }
    }
}

/// A running ferry-local.
pub struct Running {
    pub addr: SocketAddr,
    pub ferry: Ferry,
    pub operator_token: String,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops taking requests, lets deliveries under way finish (a few
    /// seconds at most), and returns. Pending transfers stay in the store.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(10), drain)
            .await
            .is_err()
        {
            self.tasks.abort_all();
        }
    }

    /// Waits until the process is asked to stop (SIGTERM or Ctrl-C), then stops.
    pub async fn run_until_signal(self) {
        shutdown_signal().await;
        tracing::info!("stopping");
        self.stop().await;
    }
}

/// Builds the services on the data folder.
pub async fn build(options: &Options) -> Result<(Ferry, MemoryReceiver, String), StartError> {
    let dir = &options.data_dir;
    let io = |source| StartError::DataDir {
        path: dir.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let seal_key = keys::load_or_create(dir, "seal.key", Sealer::generate_key).map_err(io)?;
    let sealer = Sealer::from_base64(&seal_key).map_err(|e| StartError::Store(e.to_string()))?;
    let jwt_key = keys::load_or_create(dir, "jwt.key", keys::random_token).map_err(io)?;
    let operator_token = match ferry::config::optional("FERRY_OPERATOR_TOKEN") {
        Some(token) => token,
        None => keys::load_or_create(dir, "operator.token", keys::random_token).map_err(io)?,
    };
    let store: Arc<dyn Store> = match options.store {
        StoreKind::Embedded => Arc::new(
            EmbeddedStore::open(&dir.join("ferry.redb"))
                .map_err(|e| StartError::Store(e.to_string()))?,
        ),
        StoreKind::Dynamodb => match &options.dynamodb {
            Some(table) => crate::dynamodb::open_table(table.clone()).await?,
            None => crate::dynamodb::open().await?,
        },
    };
    let (queue, receiver) = MemoryQueue::new();
    let ferry = Ferry {
        store,
        queue: Arc::new(queue),
        mailer: Arc::new(OutboxMailer::new(dir.join("outbox"))),
        clock: Arc::new(SystemClock),
        sealer,
        connectors: Arc::new(Connectors::new(HttpClient::on_network(
            options.http_timeout,
            options.network,
        ))),
        limits: options.limits.clone(),
        public_url: format!("http://{}", options.listen),
        webhook_base: None,
        jwt_key: Arc::new(jwt_key.into_bytes()),
        operator_token: Some(Arc::new(operator_token.clone())),
        mail_from: ferry::config::optional("FERRY_MAIL_FROM")
            .unwrap_or_else(|| "ferry@localhost".into()),
    };
    Ok((ferry, receiver, operator_token))
}

/// Starts everything; returns once the port is listening and the pending
/// transfers of an earlier run are queued again.
pub async fn start(options: Options) -> Result<Running, StartError> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: options.listen,
        source,
    })?;
    let options = Options {
        listen: addr,
        ..options
    };
    let (ferry, receiver, operator_token) = build(&options).await?;
    // The embedded store's file is locked to one process, so a lease found
    // in it now was held by a ferry-local that died mid-delivery.
    let release_leases = options.store == StoreKind::Embedded;
    let resumed = resume_pending(&ferry, release_leases).await;
    tracing::info!(resumed, "pending transfers queued again");

    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let app = crate::web::router(ferry.clone());
    let mut serve_stop = stopped.clone();
    tasks.spawn(async move {
        let shutdown = async move {
            let _ = serve_stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    });
    tasks.spawn(deliver_forever(
        ferry.clone(),
        receiver,
        options.workers.max(1),
        stopped.clone(),
    ));
    tasks.spawn(every(options.scheduler_every, stopped.clone(), {
        let ferry = ferry.clone();
        move || {
            let ferry = ferry.clone();
            async move {
                if let Err(e) = ferry::scheduler::scheduled_tick(&ferry, None).await {
                    tracing::error!(error = %e, "scheduler pass failed");
                }
            }
        }
    }));
    tasks.spawn(every(options.reminders_every, stopped, {
        let ferry = ferry.clone();
        move || {
            let ferry = ferry.clone();
            async move {
                if let Err(e) = ferry::reminders::run(&ferry).await {
                    tracing::error!(error = %e, "reminders pass failed");
                }
            }
        }
    }));
    Ok(Running {
        addr,
        ferry,
        operator_token,
        stop,
        tasks,
    })
}

/// Enqueues every pending transfer in the store (after a restart). With
/// `release_leases` (only when no other process can be delivering from the
/// same store) the lease of a worker that died mid-delivery is released, so
/// its transfer resumes at once rather than after the lease ran out; the
/// worker asks the target for the document before making one, so a
/// delivery the dead worker had finished is linked, not repeated.
pub async fn resume_pending(ferry: &Ferry, release_leases: bool) -> usize {
    let mut resumed = 0;
    let tenants = match ferry.store.list_tenants().await {
        Ok(tenants) => tenants,
        Err(e) => {
            tracing::error!(error = %e, "cannot list tenants to resume pending transfers");
            return 0;
        }
    };
    for tenant in tenants {
        let mut query = TransferQuery {
            status: Some(TransferStatus::Pending),
            limit: 500,
            ..TransferQuery::default()
        };
        loop {
            let page = match ferry.store.list_transfers(&tenant.id, &query).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::error!(error = %e, "cannot list pending transfers");
                    break;
                }
            };
            for transfer in page.items {
                if release_leases && transfer.lease_until.is_some() {
                    release_lease(ferry, &transfer).await;
                }
                let message = TransferMessage {
                    tenant: tenant.id.clone(),
                    transfer: transfer.id,
                };
                if ferry.queue.enqueue(&message, Duration::ZERO).await.is_ok() {
                    resumed += 1;
                }
            }
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
    }
    resumed
}

/// Clears a dead worker's lease. A failure only costs the wait for the
/// lease to run out, so it is logged, not returned. The transfer is read
/// whole first: a listed one comes without its payloads, and writing it
/// back would drop them.
async fn release_lease(ferry: &Ferry, listed: &ferry::model::Transfer) {
    let transfer = match ferry.store.get_transfer(&listed.tenant, &listed.id).await {
        Ok(Some(transfer)) => transfer,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, transfer = %listed.id, "cannot read a transfer to release its lease");
            return;
        }
    };
    // Refused when no longer leased: nothing to release.
    let Ok(released) = transfer.released() else {
        return;
    };
    let usage = ferry::model::UsageDelta::default();
    if let Err(e) = ferry
        .store
        .update_transfer(&released, transfer.version, usage)
        .await
    {
        tracing::warn!(error = %e, transfer = %released.id, "cannot release a dead worker's lease");
    }
}

/// The in-process transfer-worker: takes messages off the queue (tenants
/// in turn, see `ferry::queue::memory`) and delivers up to `workers` at a
/// time. A message that could not be handled
/// (storage unavailable) is put back with a short delay, as SQS would.
async fn deliver_forever(
    ferry: Ferry,
    mut receiver: MemoryReceiver,
    workers: usize,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(workers));
    let mut running = JoinSet::new();
    loop {
        // A free slot first, then the message: the queue picks whose turn it
        // is when a worker can start on it, so a tenant that sends while
        // every slot is busy is next, not behind a message already taken.
        let slot = tokio::select! {
            _ = until_stopped(&mut stopped) => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let message = tokio::select! {
            _ = until_stopped(&mut stopped) => break,
            message = receiver.recv() => match message {
                Some(message) => message,
                None => break,
            },
        };
        let ferry = ferry.clone();
        running.spawn(async move {
            if let Err(e) = ferry::flows::process(&ferry, &message).await {
                tracing::warn!(error = %e, transfer = %message.transfer, "will try again");
                let _ = ferry.queue.enqueue(&message, Duration::from_secs(1)).await;
            }
            drop(slot);
        });
        while running.try_join_next().is_some() {}
    }
    while running.join_next().await.is_some() {}
}

async fn every<F, Fut>(period: Duration, mut stopped: watch::Receiver<bool>, mut pass: F)
where
    F: FnMut() -> Fut + Send,
    Fut: std::future::Future<Output = ()> + Send,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is immediate; start after one period
    loop {
        tokio::select! {
            _ = until_stopped(&mut stopped) => break,
            // A pass that panics (a bug; logged there) must not end the
            // loop: the next tick runs the job again.
            _ = ticks.tick() => {
                let _ = ferry::panic_guard::catch("scheduled pass", pass()).await;
            }
        }
    }
}

/// Resolves once `stop` was sent (without holding the watch's lock).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Runs one pass of a job against the data folder and returns its report as JSON.
pub async fn run_job(options: &Options, job: crate::cli::Job) -> Result<String, StartError> {
    let (ferry, _receiver, _) = build(options).await?;
    let report = match job {
        crate::cli::Job::Scheduler => ferry::scheduler::tick(&ferry)
            .await
            .map(|r| serde_json::to_string(&r).unwrap_or_default()),
        crate::cli::Job::Reminders => ferry::reminders::run(&ferry)
            .await
            .map(|r| serde_json::to_string(&r).unwrap_or_default()),
    };
    report.map_err(|e| StartError::Store(e.to_string()))
}
