//! librdkafka's admin API, called directly through `rdkafka-sys` where rdkafka 0.39 falls short:
//!
//! - rdkafka's `create_topics` / `create_partitions` return only an error code per topic and drop the
//!   broker's message ("Replication factor: 4 larger than available brokers: 3"), which users need;
//! - rdkafka's `describe_configs` swallows per-resource errors (a missing topic comes back as `Ok` with
//!   no entries) and fails the whole call on a config source it does not know;
//! - rdkafka has only the legacy `alter_configs`, which resets every config it is not sent and reports
//!   `Ok` when the broker refuses the change. IncrementalAlterConfigs (KIP-339) sets and deletes single
//!   keys and reports per resource.
//!
//! Every call runs on the rdkafka client's own `rd_kafka_t` (so authentication stays librdkafka's), on a private
//! result queue, and blocks until the result or the deadline: call it from a blocking thread.
//!
//! This is the only `unsafe` code in topicform. The invariants each block relies on are written beside
//! it; every handle is owned by a guard that frees it on every path.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka_sys::bindings as rd;

/// The client whose handle the calls run on; borrowing it keeps the handle alive.
pub type Client = AdminClient<rdkafka::client::DefaultClientContext>;

/// A broker's or librdkafka's error: its name (`TOPIC_ALREADY_EXISTS`) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaError {
    /// Kafka's error name.
    pub code: String,
    /// The accompanying message; may be empty.
    pub message: String,
    /// The numeric code (librdkafka's `rd_kafka_resp_err_t`).
    pub raw: i32,
}

/// Kafka's `UNKNOWN_TOPIC_OR_PARTITION`.
pub const UNKNOWN_TOPIC_OR_PART: i32 = 3;

/// One config entry as described.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub value: Option<String>,
    /// librdkafka's `rd_kafka_ConfigSource_t`, as a plain integer so that a source this build does not
    /// know is not undefined behaviour.
    pub source: i32,
    pub read_only: bool,
    pub sensitive: bool,
    /// The entries this one's value is taken from, most specific first (the topic override, then the
    /// broker configs such as `log.retention.hours`, then Kafka's default); from DescribeConfigs v1's
    /// synonyms, which librdkafka always requests.
    pub synonyms: Vec<Synonym>,
}

/// One synonym of a config entry.
#[derive(Debug, Clone)]
pub struct Synonym {
    pub name: String,
    pub value: Option<String>,
    /// As in [`Entry::source`].
    pub source: i32,
}

/// One topic to create.
pub struct NewTopic<'a> {
    pub name: &'a str,
    pub partitions: i32,
    /// -1 asks the broker for `default.replication.factor` (KIP-464).
    pub replication_factor: i32,
    pub configs: Vec<(&'a str, &'a str)>,
}

/// One incremental config operation.
pub enum ConfigOp<'a> {
    Set(&'a str, &'a str),
    Delete(&'a str),
}

/// Per-resource result of a batched call, in input order.
pub type Results<T> = Vec<(String, Result<T, KafkaError>)>;

// librdkafka returns these enums as C ints. The rdkafka-sys bindings type them as Rust enums, and a value
// outside the enum (a broker error code or config source newer than this librdkafka) would be undefined
// behaviour, so they are declared here with `c_int` results.
unsafe extern "C" {
    fn rd_kafka_event_error(rkev: *mut rd::rd_kafka_event_t) -> c_int;
    fn rd_kafka_topic_result_error(res: *const rd::rd_kafka_topic_result_t) -> c_int;
    fn rd_kafka_ConfigResource_error(res: *const rd::rd_kafka_ConfigResource_t) -> c_int;
    fn rd_kafka_ConfigEntry_source(entry: *const rd::rd_kafka_ConfigEntry_t) -> c_int;
    fn rd_kafka_error_code(error: *const rd::rd_kafka_error_t) -> c_int;
    fn rd_kafka_err2name(err: c_int) -> *const c_char;
    fn rd_kafka_err2str(err: c_int) -> *const c_char;
}

fn kafka_error(raw: c_int, message: *const c_char) -> KafkaError {
    // SAFETY: err2name/err2str return static strings for any code; `cstr` accepts null.
    let code = unsafe { cstr(rd_kafka_err2name(raw)) }.unwrap_or_else(|| format!("ERROR_{raw}"));
    let mut message = unsafe { cstr(message) }.unwrap_or_default();
    if message.is_empty() {
        message = unsafe { cstr(rd_kafka_err2str(raw)) }.unwrap_or_default();
    }
    KafkaError { code, message, raw }
}

/// librdkafka's name of an error code (`_TRANSPORT`, `NOT_CONTROLLER`).
pub fn error_name(raw: i32) -> String {
    // SAFETY: err2name returns a static string for any code; `cstr` accepts null.
    unsafe { cstr(rd_kafka_err2name(raw)) }.unwrap_or_else(|| format!("ERROR_{raw}"))
}

/// Copies a C string; `None` for null.
///
/// SAFETY: `p` is null or points to a NUL-terminated string valid for the duration of the call.
unsafe fn cstr(p: *const c_char) -> Option<String> {
    if p.is_null() { None } else { Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()) }
}

fn c_string(s: &str) -> Result<CString, KafkaError> {
    CString::new(s).map_err(|_| KafkaError {
        code: "INVALID_ARGUMENT".into(),
        message: format!("`{}` contains a NUL byte", s.escape_default()),
        raw: -186,
    })
}

fn local_error(message: String) -> KafkaError {
    KafkaError { code: "INVALID_ARGUMENT".into(), message, raw: -186 }
}

/// Owns a pointer and frees it with `free` when dropped.
struct Guard<T> {
    ptr: *mut T,
    free: unsafe extern "C" fn(*mut T),
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: `ptr` came from the matching constructor and is freed exactly once, here.
            unsafe { (self.free)(self.ptr) }
        }
    }
}

/// A result queue and admin options for one call, and the wait for its result event.
struct Call {
    queue: Guard<rd::rd_kafka_queue_t>,
    options: Guard<rd::rd_kafka_AdminOptions_t>,
    wait: Duration,
}

impl Call {
    /// SAFETY: `rk` is a live client handle for the duration of the call.
    unsafe fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        timeout: Duration,
        validate_only: bool,
        via: Option<i32>,
    ) -> Result<Call, KafkaError> {
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: rk is live (caller); the returned handles are owned by the guards.
        let queue = Guard { ptr: unsafe { rd::rd_kafka_queue_new(rk) }, free: rd::rd_kafka_queue_destroy };
        let options =
            Guard { ptr: unsafe { rd::rd_kafka_AdminOptions_new(rk, op) }, free: rd::rd_kafka_AdminOptions_destroy };
        if queue.ptr.is_null() || options.ptr.is_null() {
            return Err(local_error("librdkafka could not allocate an admin request".into()));
        }
        let mut errstr = [0 as c_char; 512];
        // SAFETY: options is live; errstr is writable for its length. Errors here mean an argument
        // out of range, which the checks above rule out; their results are checked anyway.
        unsafe {
            let set = [
                rd::rd_kafka_AdminOptions_set_request_timeout(options.ptr, ms, errstr.as_mut_ptr(), errstr.len()),
                // Only CreateTopics, CreatePartitions and DeleteTopics wait for the controller to finish;
                // librdkafka refuses the option for every other operation.
                if !matches!(op, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER)
                    && matches!(
                        op,
                        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS
                            | rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEPARTITIONS
                            | rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS
                    )
                {
                    rd::rd_kafka_AdminOptions_set_operation_timeout(options.ptr, ms, errstr.as_mut_ptr(), errstr.len())
                } else {
                    rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                },
                if validate_only {
                    rd::rd_kafka_AdminOptions_set_validate_only(options.ptr, 1, errstr.as_mut_ptr(), errstr.len())
                } else {
                    rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                },
            ];
            // Where topicform's own requests found a broker that answers (see [`VIA`]); librdkafka's
            // default is the broker its Metadata names as controller, in KRaft mode any live broker.
            let via = match via {
                Some(id) => rd::rd_kafka_AdminOptions_set_broker(options.ptr, id, errstr.as_mut_ptr(), errstr.len()),
                None => rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
            };
            if set.iter().chain([&via]).any(|e| *e != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR) {
                return Err(local_error(cstr(errstr.as_ptr()).unwrap_or_default()));
            }
        }
        // The broker answers within `timeout`; librdkafka's own deadline fires then too. The extra
        // margin only covers the result's trip through the queue.
        Ok(Call { queue, options, wait: timeout + Duration::from_secs(5) })
    }

    /// Waits for the call's result event and checks its request-level error.
    fn result(&self, expected: c_int) -> Result<Guard<rd::rd_kafka_event_t>, KafkaError> {
        let ms = c_int::try_from(self.wait.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the queue is live; the event returned is owned by the guard.
        let event =
            Guard { ptr: unsafe { rd::rd_kafka_queue_poll(self.queue.ptr, ms) }, free: rd::rd_kafka_event_destroy };
        if event.ptr.is_null() {
            return Err(KafkaError {
                code: "_TIMED_OUT".into(),
                message: format!("timed out: no answer within {} s", self.wait.as_secs()),
                raw: -185,
            });
        }
        // SAFETY: event is live.
        unsafe {
            let err = rd_kafka_event_error(event.ptr);
            if err != 0 {
                return Err(kafka_error(err, rd::rd_kafka_event_error_string(event.ptr)));
            }
            if rd::rd_kafka_event_type(event.ptr) != expected {
                return Err(local_error("librdkafka answered with an unexpected event".into()));
            }
        }
        Ok(event)
    }
}

thread_local! {
    /// The broker (by id) that the admin requests made on this thread go to, instead of the one
    /// librdkafka's Metadata names as controller: set by [`with_via`] around one blocking call. In KRaft
    /// mode every broker forwards what the controller must do (KIP-590), and the controller librdkafka
    /// picks is any live broker (KRaft's Metadata names one at random), a frozen one included, for which
    /// a request waits until its deadline ("Failed while waiting for controller").
    static VIA: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
}

/// Runs `call` with its admin requests sent to broker `via` (see [`VIA`]).
pub fn with_via<T>(via: Option<i32>, call: impl FnOnce() -> T) -> T {
    VIA.with(|v| v.set(via));
    let out = call();
    VIA.with(|v| v.set(None));
    out
}

fn via() -> Option<i32> {
    VIA.with(std::cell::Cell::get)
}

/// [`via`] for resources of `kind`: a broker resource goes to that broker, as librdkafka sends it.
fn topic_via(kind: Resource) -> Option<i32> {
    if kind == Resource::Topic { via() } else { None }
}

/// Reads an array of topic results.
///
/// SAFETY: `results` points to `count` live topic results owned by a live event.
unsafe fn topic_results(results: *mut *const rd::rd_kafka_topic_result_t, count: usize) -> Results<()> {
    (0..count)
        .map(|i| unsafe {
            let r = *results.add(i);
            let name = cstr(rd::rd_kafka_topic_result_name(r)).unwrap_or_default();
            let err = rd_kafka_topic_result_error(r);
            let outcome =
                if err == 0 { Ok(()) } else { Err(kafka_error(err, rd::rd_kafka_topic_result_error_string(r))) };
            (name, outcome)
        })
        .collect()
}

/// CreateTopics for all `topics` in one request.
pub fn create_topics(
    client: &Client,
    topics: &[NewTopic<'_>],
    validate_only: bool,
    timeout: Duration,
) -> Result<Results<()>, KafkaError> {
    let rk = client.inner().native_ptr();
    let call = unsafe {
        Call::new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, validate_only, via())
    }?;
    let mut handles = Vec::with_capacity(topics.len());
    for t in topics {
        let name = c_string(t.name)?;
        let mut errstr = [0 as c_char; 512];
        // SAFETY: name is NUL-terminated; errstr is writable; the handle is owned by the guard.
        let handle = Guard {
            ptr: unsafe {
                rd::rd_kafka_NewTopic_new(
                    name.as_ptr(),
                    t.partitions,
                    t.replication_factor,
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            },
            free: rd::rd_kafka_NewTopic_destroy,
        };
        if handle.ptr.is_null() {
            return Err(local_error(unsafe { cstr(errstr.as_ptr()) }.unwrap_or_default()));
        }
        for (key, value) in &t.configs {
            let (k, v) = (c_string(key)?, c_string(value)?);
            // SAFETY: handle is live; k and v are NUL-terminated and copied by librdkafka.
            let err = unsafe { rd::rd_kafka_NewTopic_set_config(handle.ptr, k.as_ptr(), v.as_ptr()) };
            if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(local_error(format!("cannot set `{key}` on new topic `{}`", t.name)));
            }
        }
        handles.push(handle);
    }
    let mut raw: Vec<*mut rd::rd_kafka_NewTopic_t> = handles.iter().map(|h| h.ptr).collect();
    // SAFETY: every handle is live; librdkafka copies what it needs before returning.
    unsafe { rd::rd_kafka_CreateTopics(rk, raw.as_mut_ptr(), raw.len(), call.options.ptr, call.queue.ptr) };
    let event = call.result(rd::RD_KAFKA_EVENT_CREATETOPICS_RESULT)?;
    let mut count = 0;
    // SAFETY: event is a live CreateTopics result; the array lives as long as the event.
    unsafe {
        let result = rd::rd_kafka_event_CreateTopics_result(event.ptr);
        Ok(topic_results(rd::rd_kafka_CreateTopics_result_topics(result, &mut count) as _, count))
    }
}

/// CreatePartitions for all `(topic, new total, replicas of each new partition)` in one request; empty
/// assignments let the broker place the new partitions.
pub fn create_partitions(
    client: &Client,
    topics: &[(&str, usize, &[Vec<i32>])],
    validate_only: bool,
    timeout: Duration,
) -> Result<Results<()>, KafkaError> {
    let rk = client.inner().native_ptr();
    let call = unsafe {
        Call::new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout, validate_only, via())
    }?;
    let mut handles = Vec::with_capacity(topics.len());
    for (topic, total, assignments) in topics {
        let name = c_string(topic)?;
        let mut errstr = [0 as c_char; 512];
        // SAFETY: as in create_topics.
        let handle = Guard {
            ptr: unsafe { rd::rd_kafka_NewPartitions_new(name.as_ptr(), *total, errstr.as_mut_ptr(), errstr.len()) },
            free: rd::rd_kafka_NewPartitions_destroy,
        };
        if handle.ptr.is_null() {
            return Err(local_error(unsafe { cstr(errstr.as_ptr()) }.unwrap_or_default()));
        }
        for (i, replicas) in assignments.iter().enumerate() {
            let mut ids = replicas.clone();
            // SAFETY: handle is live; ids is a valid array of its length, copied by librdkafka.
            let err = unsafe {
                rd::rd_kafka_NewPartitions_set_replica_assignment(
                    handle.ptr,
                    i as i32,
                    ids.as_mut_ptr(),
                    ids.len(),
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(local_error(unsafe { cstr(errstr.as_ptr()) }.unwrap_or_default()));
            }
        }
        handles.push(handle);
    }
    let mut raw: Vec<*mut rd::rd_kafka_NewPartitions_t> = handles.iter().map(|h| h.ptr).collect();
    // SAFETY: as in create_topics.
    unsafe { rd::rd_kafka_CreatePartitions(rk, raw.as_mut_ptr(), raw.len(), call.options.ptr, call.queue.ptr) };
    let event = call.result(rd::RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT)?;
    let mut count = 0;
    // SAFETY: as in create_topics.
    unsafe {
        let result = rd::rd_kafka_event_CreatePartitions_result(event.ptr);
        Ok(topic_results(rd::rd_kafka_CreatePartitions_result_topics(result, &mut count) as _, count))
    }
}

/// The kind of a config resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A topic, by name.
    Topic,
    /// A broker, by id; the empty name is the cluster-wide default of every broker.
    Broker,
}

/// DeleteTopics for all `topics` in one request. Kafka has no validate-only form of it.
pub fn delete_topics(client: &Client, topics: &[&str], timeout: Duration) -> Result<Results<()>, KafkaError> {
    let rk = client.inner().native_ptr();
    let call =
        unsafe { Call::new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout, false, via()) }?;
    let mut handles = Vec::with_capacity(topics.len());
    for topic in topics {
        let name = c_string(topic)?;
        // SAFETY: name is NUL-terminated and copied; the handle is owned by the guard.
        let handle = Guard {
            ptr: unsafe { rd::rd_kafka_DeleteTopic_new(name.as_ptr()) },
            free: rd::rd_kafka_DeleteTopic_destroy,
        };
        if handle.ptr.is_null() {
            return Err(local_error(format!("cannot delete topic `{topic}`")));
        }
        handles.push(handle);
    }
    let mut raw: Vec<*mut rd::rd_kafka_DeleteTopic_t> = handles.iter().map(|h| h.ptr).collect();
    // SAFETY: as in create_topics.
    unsafe { rd::rd_kafka_DeleteTopics(rk, raw.as_mut_ptr(), raw.len(), call.options.ptr, call.queue.ptr) };
    let event = call.result(rd::RD_KAFKA_EVENT_DELETETOPICS_RESULT)?;
    let mut count = 0;
    // SAFETY: as in create_topics.
    unsafe {
        let result = rd::rd_kafka_event_DeleteTopics_result(event.ptr);
        Ok(topic_results(rd::rd_kafka_DeleteTopics_result_topics(result, &mut count) as _, count))
    }
}

/// An event from the client's main queue, where librdkafka puts its log lines and its client-level
/// errors (failed authentication, TLS handshakes, refused connections). rdkafka's AdminClient never
/// polls that queue, so these would otherwise be lost.
pub enum MainEvent {
    /// A log line: syslog level, facility, message.
    Log(i32, String, String),
    /// A client error: its name and librdkafka's explanation.
    Error(String, String),
}

/// Makes a [`poll_main`] that is waiting return now (or the next one return at once), so that the thread
/// draining the main queue sees its stop flag without waiting out its poll.
pub fn wake_main(client: &Client) {
    let rk = client.inner().native_ptr();
    // SAFETY: rk is live while `client` is borrowed; the queue reference is owned by the guard.
    unsafe {
        let queue = Guard { ptr: rd::rd_kafka_queue_get_main(rk), free: rd::rd_kafka_queue_destroy };
        rd::rd_kafka_queue_yield(queue.ptr);
    }
}

/// Waits up to `timeout` for one event on the client's main queue. Other kinds of event are dropped.
pub fn poll_main(client: &Client, timeout: Duration) -> Option<MainEvent> {
    let rk = client.inner().native_ptr();
    let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
    // SAFETY: rk is live while `client` is borrowed; the queue reference and the event are owned by
    // the guards; the strings read belong to the event and are copied before it is freed.
    unsafe {
        let queue = Guard { ptr: rd::rd_kafka_queue_get_main(rk), free: rd::rd_kafka_queue_destroy };
        let event = Guard { ptr: rd::rd_kafka_queue_poll(queue.ptr, ms), free: rd::rd_kafka_event_destroy };
        if event.ptr.is_null() {
            return None;
        }
        match rd::rd_kafka_event_type(event.ptr) {
            rd::RD_KAFKA_EVENT_LOG => {
                let (mut fac, mut text, mut level) = (ptr::null(), ptr::null(), 0);
                if rd::rd_kafka_event_log(event.ptr, &mut fac, &mut text, &mut level) != 0 {
                    return None;
                }
                Some(MainEvent::Log(level, cstr(fac).unwrap_or_default(), cstr(text).unwrap_or_default()))
            }
            rd::RD_KAFKA_EVENT_ERROR => {
                let e = kafka_error(rd_kafka_event_error(event.ptr), rd::rd_kafka_event_error_string(event.ptr));
                Some(MainEvent::Error(e.code, e.message))
            }
            _ => None,
        }
    }
}

/// A broker as DescribeCluster reports it.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
}

/// What DescribeCluster says of the cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The cluster id (`kafka-storage format`'s, or ZooKeeper's).
    pub id: Option<String>,
    /// The controller's id: in ZooKeeper mode the controller; in KRaft mode a broker that forwards
    /// controller requests (KIP-590), chosen by the broker that answered.
    pub controller: Option<i32>,
    /// The live brokers.
    pub nodes: Vec<Node>,
}

/// DescribeCluster: the brokers with their addresses and racks (Metadata through librdkafka does not
/// expose racks), the controller and the cluster id.
pub fn describe_cluster(client: &Client, timeout: Duration) -> Result<Cluster, KafkaError> {
    let rk = client.inner().native_ptr();
    let call =
        unsafe { Call::new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER, timeout, false, via()) }?;
    // SAFETY: rk, options and queue are live for the call.
    unsafe { rd::rd_kafka_DescribeCluster(rk, call.options.ptr, call.queue.ptr) };
    let event = call.result(rd::RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT)?;
    let mut count = 0;
    // SAFETY: event is a live result; its nodes, controller and id live as long as it does, and are
    // copied out before it is destroyed.
    unsafe {
        let result = rd::rd_kafka_event_DescribeCluster_result(event.ptr);
        let node = |n: *const rd::rd_kafka_Node_t| Node {
            id: rd::rd_kafka_Node_id(n),
            host: cstr(rd::rd_kafka_Node_host(n)).unwrap_or_default(),
            port: rd::rd_kafka_Node_port(n),
            rack: cstr(rd::rd_kafka_Node_rack(n)).filter(|r| !r.is_empty()),
        };
        let nodes = rd::rd_kafka_DescribeCluster_result_nodes(result, &mut count);
        let controller = rd::rd_kafka_DescribeCluster_result_controller(result);
        Ok(Cluster {
            id: cstr(rd::rd_kafka_DescribeCluster_result_cluster_id(result)).filter(|id| !id.is_empty()),
            controller: (!controller.is_null()).then(|| rd::rd_kafka_Node_id(controller)),
            nodes: (0..count).map(|i| node(*nodes.add(i))).collect(),
        })
    }
}

/// Builds one config resource of `kind` per name.
fn config_resources<'a>(
    kind: Resource,
    names: impl Iterator<Item = &'a str>,
) -> Result<Vec<Guard<rd::rd_kafka_ConfigResource_t>>, KafkaError> {
    let restype = match kind {
        Resource::Topic => rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
        Resource::Broker => rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_BROKER,
    };
    names
        .map(|topic| {
            let name = c_string(topic)?;
            // SAFETY: name is NUL-terminated and copied; the handle is owned by the guard.
            let handle = Guard {
                ptr: unsafe { rd::rd_kafka_ConfigResource_new(restype, name.as_ptr()) },
                free: rd::rd_kafka_ConfigResource_destroy,
            };
            if handle.ptr.is_null() {
                return Err(local_error(format!("cannot describe topic `{topic}`")));
            }
            Ok(handle)
        })
        .collect()
}

/// Reads a resource's name and error.
///
/// SAFETY: `r` is a live config resource.
unsafe fn resource_outcome(r: *const rd::rd_kafka_ConfigResource_t) -> (String, Result<(), KafkaError>) {
    unsafe {
        let name = cstr(rd::rd_kafka_ConfigResource_name(r)).unwrap_or_default();
        let err = rd_kafka_ConfigResource_error(r);
        let outcome =
            if err == 0 { Ok(()) } else { Err(kafka_error(err, rd::rd_kafka_ConfigResource_error_string(r))) };
        (name, outcome)
    }
}

/// IncrementalAlterConfigs for every resource's operations, in one request.
pub fn incremental_alter_configs(
    client: &Client,
    kind: Resource,
    topics: &[(&str, Vec<ConfigOp<'_>>)],
    validate_only: bool,
    timeout: Duration,
) -> Result<Results<()>, KafkaError> {
    let rk = client.inner().native_ptr();
    let call = unsafe {
        Call::new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
            timeout,
            validate_only,
            topic_via(kind),
        )
    }?;
    let handles = config_resources(kind, topics.iter().map(|(t, _)| *t))?;
    for (handle, (topic, ops)) in handles.iter().zip(topics) {
        for op in ops {
            let (key, kind, value) = match op {
                ConfigOp::Set(k, v) => {
                    (*k, rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, Some(*v))
                }
                ConfigOp::Delete(k) => {
                    (*k, rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE, None)
                }
            };
            let k = c_string(key)?;
            let v = value.map(c_string).transpose()?;
            // SAFETY: handle is live; k and v are NUL-terminated and copied; the error, if any, is ours
            // to destroy.
            unsafe {
                let err = rd::rd_kafka_ConfigResource_add_incremental_config(
                    handle.ptr,
                    k.as_ptr(),
                    kind,
                    v.as_ref().map_or(ptr::null(), |v| v.as_ptr()),
                );
                if !err.is_null() {
                    let code = rd_kafka_error_code(err);
                    let e = kafka_error(code, rd::rd_kafka_error_string(err));
                    rd::rd_kafka_error_destroy(err);
                    return Err(KafkaError { message: format!("`{topic}` `{key}`: {}", e.message), ..e });
                }
            }
        }
    }
    let mut raw: Vec<*mut rd::rd_kafka_ConfigResource_t> = handles.iter().map(|h| h.ptr).collect();
    // SAFETY: every handle is live; librdkafka copies what it needs before returning.
    unsafe { rd::rd_kafka_IncrementalAlterConfigs(rk, raw.as_mut_ptr(), raw.len(), call.options.ptr, call.queue.ptr) };
    let event = call.result(rd::RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT)?;
    let mut count = 0;
    // SAFETY: event is a live result; its resources live as long as it does.
    unsafe {
        let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(event.ptr);
        let resources = rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
        Ok((0..count).map(|i| resource_outcome(*resources.add(i))).collect())
    }
}

/// DescribeConfigs for every resource of `kind`, in one request (brokers: one at a time, each is asked itself).
pub fn describe_configs(
    client: &Client,
    kind: Resource,
    names: &[&str],
    timeout: Duration,
) -> Result<Results<Vec<Entry>>, KafkaError> {
    let rk = client.inner().native_ptr();
    let call = unsafe {
        Call::new(rk, rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout, false, topic_via(kind))
    }?;
    let handles = config_resources(kind, names.iter().copied())?;
    let mut raw: Vec<*mut rd::rd_kafka_ConfigResource_t> = handles.iter().map(|h| h.ptr).collect();
    // SAFETY: as in incremental_alter_configs.
    unsafe { rd::rd_kafka_DescribeConfigs(rk, raw.as_mut_ptr(), raw.len(), call.options.ptr, call.queue.ptr) };
    let event = call.result(rd::RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT)?;
    let mut count = 0;
    // SAFETY: event is a live result; resources and entries live as long as it does.
    unsafe {
        let result = rd::rd_kafka_event_DescribeConfigs_result(event.ptr);
        let resources = rd::rd_kafka_DescribeConfigs_result_resources(result, &mut count);
        Ok((0..count)
            .map(|i| {
                let r = *resources.add(i);
                let (name, outcome) = resource_outcome(r);
                let entries = outcome.map(|()| {
                    let mut n = 0;
                    let entries = rd::rd_kafka_ConfigResource_configs(r, &mut n);
                    (0..n).map(|j| entry(*entries.add(j))).collect()
                });
                (name, entries)
            })
            .collect())
    }
}

/// SAFETY: `e` is a live config entry.
unsafe fn entry(e: *const rd::rd_kafka_ConfigEntry_t) -> Entry {
    unsafe {
        Entry {
            name: cstr(rd::rd_kafka_ConfigEntry_name(e)).unwrap_or_default(),
            value: cstr(rd::rd_kafka_ConfigEntry_value(e)),
            source: rd_kafka_ConfigEntry_source(e),
            read_only: rd::rd_kafka_ConfigEntry_is_read_only(e) != 0,
            sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(e) != 0,
            synonyms: {
                let mut n = 0;
                let synonyms = rd::rd_kafka_ConfigEntry_synonyms(e, &mut n);
                (0..n)
                    .map(|i| {
                        let s = *synonyms.add(i);
                        Synonym {
                            name: cstr(rd::rd_kafka_ConfigEntry_name(s)).unwrap_or_default(),
                            value: cstr(rd::rd_kafka_ConfigEntry_value(s)),
                            source: rd_kafka_ConfigEntry_source(s),
                        }
                    })
                    .collect()
            },
        }
    }
}
