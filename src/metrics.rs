//! `watch`'s Prometheus metrics and its HTTP endpoints: `/metrics` (OpenMetrics text, through the
//! `prometheus-client` crate), `/healthz` (the process runs) and `/readyz` (every cluster's last cycle
//! succeeded, or within the grace). An adapter: it records [`Cycle`]s and serves them; it plans,
//! describes and decides nothing.
//!
//! Label values are the cluster's name in the project file and closed sets (actions, risk classes,
//! error kinds): never a bootstrap address, a message or a secret.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::watch::{Cycle, ErrorKind, Health, Outcome, ready};

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct ClusterLabel {
    cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct PendingLabels {
    cluster: String,
    action: String,
    risk: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    cluster: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    cluster: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

fn duration_histogram() -> Histogram {
    // 10 ms to about 80 s: a small cluster's describe to a 30,000-topic one's.
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

/// The metrics of every cluster watched, and what readiness needs.
pub struct Metrics {
    registry: Registry,
    drift: Family<ClusterLabel, Gauge>,
    pending: Family<PendingLabels, Gauge>,
    blocked: Family<ClusterLabel, Gauge>,
    managed: Family<ClusterLabel, Gauge>,
    unmanaged: Family<ClusterLabel, Gauge>,
    up: Family<ClusterLabel, Gauge>,
    last_success: Family<ClusterLabel, Gauge<f64, AtomicU64>>,
    cycles: Family<OutcomeLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    applied: Family<ClusterLabel, Counter>,
    describe_seconds: Family<ClusterLabel, Histogram, fn() -> Histogram>,
    plan_seconds: Family<ClusterLabel, Histogram, fn() -> Histogram>,
    /// The pending series each cluster has shown, so that a kind no longer pending drops to 0.
    shown: Mutex<BTreeMap<String, BTreeSet<PendingLabels>>>,
    health: Mutex<BTreeMap<String, (Option<Instant>, bool)>>,
    grace: Duration,
}

impl Metrics {
    /// The metrics for `clusters`, every one not ready until its first cycle; `/readyz` forgives a
    /// failing cluster for `grace` after its last good cycle.
    pub fn new(clusters: &[String], grace: Duration) -> Metrics {
        let mut registry = Registry::default();
        let drift = Family::<ClusterLabel, Gauge>::default();
        registry.register(
            "topicform_drift_pending",
            "Changes the last plan of the cluster has pending (0: in sync); absent while its cycles fail",
            drift.clone(),
        );
        let pending = Family::<PendingLabels, Gauge>::default();
        registry.register(
            "topicform_pending_changes",
            "Pending changes of the last plan, by action and risk class",
            pending.clone(),
        );
        let blocked = Family::<ClusterLabel, Gauge>::default();
        registry.register(
            "topicform_blocked_changes",
            "Changes the last plan blocks (apply refuses them)",
            blocked.clone(),
        );
        let managed = Family::<ClusterLabel, Gauge>::default();
        registry.register("topicform_managed_topics", "Topics the files declare", managed.clone());
        let unmanaged = Family::<ClusterLabel, Gauge>::default();
        registry.register(
            "topicform_unmanaged_topics",
            "Live topics inside `owns` that no file declares",
            unmanaged.clone(),
        );
        let up = Family::<ClusterLabel, Gauge>::default();
        registry.register("topicform_cluster_up", "1 when the last cycle of the cluster succeeded, else 0", up.clone());
        let last_success = Family::<ClusterLabel, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "topicform_last_successful_plan_timestamp_seconds",
            "When the last successful plan of the cluster finished (Unix time)",
            last_success.clone(),
        );
        let cycles = Family::<OutcomeLabels, Counter>::default();
        registry.register("topicform_cycles", "Cycles run, by outcome", cycles.clone());
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register("topicform_errors", "Failed cycles, by kind of error", errors.clone());
        let applied = Family::<ClusterLabel, Counter>::default();
        registry.register("topicform_auto_applied_changes", "Changes applied by --auto-apply", applied.clone());
        let describe_seconds: Family<ClusterLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        registry.register(
            "topicform_describe_duration_seconds",
            "How long describing the cluster took",
            describe_seconds.clone(),
        );
        let plan_seconds: Family<ClusterLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        registry.register(
            "topicform_plan_duration_seconds",
            "How long a whole cycle took: files, describe and diff",
            plan_seconds.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        registry.register("topicform_build_info", "The running topicform's version (always 1)", build.clone());
        build.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION").to_owned() }).set(1);
        for cluster in clusters {
            let label = ClusterLabel { cluster: cluster.clone() };
            up.get_or_create(&label).set(0);
            let _ = applied.get_or_create(&label);
            for kind in ErrorKind::ALL {
                let _ = errors.get_or_create(&ErrorLabels { cluster: cluster.clone(), kind: kind.as_str().to_owned() });
            }
            for outcome in [Outcome::InSync, Outcome::Drift, Outcome::Failed] {
                let _ = cycles
                    .get_or_create(&OutcomeLabels { cluster: cluster.clone(), outcome: outcome.word().to_owned() });
            }
        }
        Metrics {
            registry,
            drift,
            pending,
            blocked,
            managed,
            unmanaged,
            up,
            last_success,
            cycles,
            errors,
            applied,
            describe_seconds,
            plan_seconds,
            shown: Mutex::default(),
            health: Mutex::new(clusters.iter().map(|c| (c.clone(), (None, false))).collect()),
            grace,
        }
    }

    /// Records a cycle; `now_unix` is when it finished.
    pub fn record(&self, cycle: &Cycle, now_unix: f64) {
        let label = ClusterLabel { cluster: cycle.cluster.clone() };
        let cluster = &cycle.cluster;
        self.cycles
            .get_or_create(&OutcomeLabels { cluster: cluster.clone(), outcome: cycle.outcome.word().to_owned() })
            .inc();
        self.plan_seconds.get_or_create(&label).observe(cycle.duration_ms as f64 / 1000.0);
        let mut shown = self.shown.lock().expect("metrics lock");
        let before = shown.remove(cluster).unwrap_or_default();
        let mut health = self.health.lock().expect("metrics lock");
        let entry = health.entry(cluster.clone()).or_insert((None, false));
        if cycle.outcome == Outcome::Failed {
            self.up.get_or_create(&label).set(0);
            let kind = cycle.error_kind.unwrap_or(ErrorKind::Describe).as_str().to_owned();
            self.errors.get_or_create(&ErrorLabels { cluster: cluster.clone(), kind }).inc();
            // What the last good cycle saw is not shown as if it were current.
            for labels in &before {
                self.pending.remove(labels);
            }
            for family in [&self.drift, &self.blocked, &self.managed, &self.unmanaged] {
                family.remove(&label);
            }
            entry.1 = true;
            return;
        }
        self.describe_seconds.get_or_create(&label).observe(cycle.describe_ms as f64 / 1000.0);
        let mut now: BTreeSet<PendingLabels> = BTreeSet::new();
        for p in &cycle.pending {
            let labels =
                PendingLabels { cluster: cluster.clone(), action: p.action.clone(), risk: p.risk.as_str().to_owned() };
            self.pending.get_or_create(&labels).set(p.count as i64);
            now.insert(labels);
        }
        for gone in before.difference(&now) {
            self.pending.get_or_create(gone).set(0);
        }
        now.extend(before);
        shown.insert(cluster.clone(), now);
        self.drift.get_or_create(&label).set(cycle.pending_total() as i64);
        self.blocked.get_or_create(&label).set(cycle.blocked as i64);
        self.managed.get_or_create(&label).set(cycle.managed as i64);
        self.unmanaged.get_or_create(&label).set(cycle.unmanaged as i64);
        self.up.get_or_create(&label).set(1);
        self.last_success.get_or_create(&label).set(now_unix);
        if let Some(n) = cycle.applied {
            self.applied.get_or_create(&label).inc_by(n as u64);
        }
        *entry = (Some(Instant::now()), false);
    }

    /// The exposition, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String");
        text
    }

    /// Whether every cluster is ready, and a line per cluster saying so.
    pub fn readiness(&self) -> (bool, String) {
        let health = self.health.lock().expect("metrics lock");
        let mut text = String::new();
        let mut all = Vec::new();
        for (cluster, (success, failed)) in health.iter() {
            let h = Health { since_success: success.map(|s| s.elapsed()), last_failed: *failed };
            let ok = ready(&[h], self.grace);
            let state = match (h.since_success, h.last_failed) {
                (None, false) => "no cycle yet",
                (None, true) => "failing, never succeeded",
                (Some(_), false) => "ok",
                (Some(_), true) if ok => "failing, within the grace",
                (Some(_), true) => "failing",
            };
            text += &format!("{cluster}: {state}\n");
            all.push(h);
        }
        (ready(&all, self.grace), text)
    }
}

/// The content type of [`Metrics::encode`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of [`classic`].
pub const CLASSIC_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The OpenMetrics exposition in Prometheus' classic text format (0.0.4), for clients that do not ask
/// for OpenMetrics (`curl`, `promtool check metrics`): a counter's `# HELP` and `# TYPE` name its
/// `_total` samples, and the OpenMetrics-only `# UNIT` and `# EOF` lines go. Samples are the same.
pub fn classic(openmetrics: &str) -> String {
    let counters: BTreeSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let named = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{p}{name}_total {tail}"))
        });
        out += named.as_deref().unwrap_or(line);
        out.push('\n');
    }
    out
}

fn respond(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

async fn handle(request: Request<Incoming>, metrics: Arc<Metrics>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = "text/plain; charset=utf-8";
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(respond(StatusCode::METHOD_NOT_ALLOWED, text, "GET only\n".into()));
    }
    Ok(match request.uri().path() {
        "/metrics" => {
            // Prometheus asks for OpenMetrics; anything else gets the classic text format.
            let accept = request.headers().get("accept").and_then(|v| v.to_str().ok()).unwrap_or("");
            if accept.contains("application/openmetrics-text") {
                respond(StatusCode::OK, CONTENT_TYPE, metrics.encode())
            } else {
                respond(StatusCode::OK, CLASSIC_CONTENT_TYPE, classic(&metrics.encode()))
            }
        }
        "/healthz" => respond(StatusCode::OK, text, "ok\n".into()),
        "/readyz" => {
            let (ready, body) = metrics.readiness();
            respond(if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, text, body)
        }
        _ => respond(StatusCode::NOT_FOUND, text, "not found: try /metrics, /healthz or /readyz\n".into()),
    })
}

/// Serves `metrics` on `listener` until the task is dropped. Each connection runs on its own task; a
/// broken connection ends only itself.
pub async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| handle(request, metrics.clone()));
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(io, service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Risk;
    use crate::watch::Pending;

    fn cycle(outcome: Outcome, pending: Vec<Pending>) -> Cycle {
        Cycle {
            cluster: "prod".into(),
            cycle: 1,
            at: "2026-12-01T00:00:00Z".into(),
            outcome,
            error_kind: (outcome == Outcome::Failed).then_some(ErrorKind::Describe),
            error: None,
            pending,
            blocked: 0,
            managed: 3,
            unmanaged: 1,
            applied: None,
            not_applied: None,
            requests: Some(3),
            describe_ms: 20,
            duration_ms: 25,
        }
    }

    fn line<'a>(text: &'a str, start: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(start)).collect()
    }

    async fn get(addr: std::net::SocketAddr, path: &str) -> String {
        get_accepting(addr, path, "*/*").await
    }

    async fn get_accepting(addr: std::net::SocketAddr, path: &str, accept: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\naccept: {accept}\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn the_endpoints_answer_over_http() {
        let metrics = Arc::new(Metrics::new(&["prod".into()], Duration::from_secs(60)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, metrics.clone()));
        assert!(get(addr, "/healthz").await.starts_with("HTTP/1.1 200 OK"));
        let not_ready = get(addr, "/readyz").await;
        assert!(not_ready.starts_with("HTTP/1.1 503") && not_ready.ends_with("prod: no cycle yet\n"), "{not_ready}");
        metrics.record(&cycle(Outcome::InSync, vec![]), 1.0e9);
        assert!(get(addr, "/readyz").await.starts_with("HTTP/1.1 200 OK"));
        let prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        let exposition = get_accepting(addr, "/metrics", prometheus).await;
        assert!(exposition.contains(&format!("content-type: {CONTENT_TYPE}")), "{exposition}");
        assert!(exposition.contains("topicform_drift_pending{cluster=\"prod\"} 0"), "{exposition}");
        assert!(exposition.contains("# TYPE topicform_cycles counter") && exposition.ends_with("# EOF\n"));
        let plain = get(addr, "/metrics").await;
        assert!(plain.contains(&format!("content-type: {CLASSIC_CONTENT_TYPE}")), "{plain}");
        assert!(plain.contains("# TYPE topicform_cycles_total counter\n"), "{plain}");
        assert!(plain.contains("# HELP topicform_cycles_total Cycles run, by outcome.\n"), "{plain}");
        assert!(!plain.contains("# EOF"));
        assert!(get(addr, "/nothing").await.starts_with("HTTP/1.1 404"));
        server.abort();
    }

    #[test]
    fn pending_changes_go_up_and_back_to_zero_and_failures_hide_stale_numbers() {
        let metrics = Metrics::new(&["prod".into()], Duration::from_secs(60));
        assert!(!metrics.readiness().0, "not ready before the first cycle");
        let set = Pending { action: "set_config".into(), risk: Risk::Safe, count: 2 };
        metrics.record(&cycle(Outcome::Drift, vec![set]), 1.0e9);
        let text = metrics.encode();
        assert_eq!(line(&text, "topicform_drift_pending{"), ["topicform_drift_pending{cluster=\"prod\"} 2"]);
        assert_eq!(
            line(&text, "topicform_pending_changes{"),
            ["topicform_pending_changes{cluster=\"prod\",action=\"set_config\",risk=\"safe\"} 2"]
        );
        assert!(metrics.readiness().0);
        metrics.record(&cycle(Outcome::InSync, vec![]), 1.0e9 + 60.0);
        let text = metrics.encode();
        assert_eq!(line(&text, "topicform_drift_pending{"), ["topicform_drift_pending{cluster=\"prod\"} 0"]);
        assert_eq!(
            line(&text, "topicform_pending_changes{"),
            ["topicform_pending_changes{cluster=\"prod\",action=\"set_config\",risk=\"safe\"} 0"]
        );
        metrics.record(&cycle(Outcome::Failed, vec![]), 1.0e9 + 120.0);
        let text = metrics.encode();
        assert!(line(&text, "topicform_drift_pending{").is_empty(), "{text}");
        assert_eq!(line(&text, "topicform_cluster_up{"), ["topicform_cluster_up{cluster=\"prod\"} 0"]);
        assert_eq!(
            line(&text, "topicform_errors_total{cluster=\"prod\",kind=\"describe\"}"),
            ["topicform_errors_total{cluster=\"prod\",kind=\"describe\"} 1"]
        );
        assert_eq!(
            line(&text, "topicform_last_successful_plan_timestamp_seconds{"),
            ["topicform_last_successful_plan_timestamp_seconds{cluster=\"prod\"} 1000000060.0"]
        );
        assert!(metrics.readiness().0, "a failure within the grace stays ready");
        assert!(text.contains("topicform_build_info{version=\"") && text.ends_with("# EOF\n"));
    }
}
