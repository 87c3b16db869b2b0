//! SQS delivery through injected faults: the handler talks to the emulator
//! through `tests/support/faultproxy.py`, which answers some requests with
//! 503 SlowDown or 500 InternalError, resets connections before forwarding or
//! after the emulator stored the object, and throttles AssumeRole. The test
//! plays SQS: it redelivers what the handler reports failed (or the whole
//! batch when the handler errs) until every message is acknowledged, then
//! checks, as the bucket owner and bypassing the proxy, that each acknowledged
//! message is stored once with exactly its bytes and nothing else was written.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use base64::Engine as _;
use cross_account_s3_writer::handler::{Handler, HandlerError};
use serde_json::{Value, json};
use support::Emulator;

const MESSAGES: usize = 40;
const BATCH: usize = 10;
/// Rounds with faults on; after them the proxy forwards everything.
const FAULT_ROUNDS: usize = 5;
const MAX_ROUNDS: usize = 25;
const FAULT_RATE: f64 = 0.3;
/// A seed under which a few writes also exhaust the SDK's three attempts, so redelivery is exercised too.
const DEFAULT_SEED: u64 = 4;
const QUEUE: &str = "writer-queue";
const KINDS: [&str; 5] = [
    "slowdown_503",
    "internal_500",
    "reset_before",
    "reset_after",
    "throttled",
];

#[test]
fn sqs_delivery_survives_injected_faults() {
    let started = Instant::now();
    let seed = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let emu = Emulator::start(&[]);
    let proxy = FaultProxy::start(&emu, seed, FAULT_RATE);
    runtime().block_on(run(&emu, &proxy, seed, started));
}

async fn run(emu: &Emulator, proxy: &FaultProxy, seed: u64, started: Instant) {
    let handler = emu.handler(&[], None, Some(&proxy.endpoint())).await;
    let tag = run_tag();
    let queue_arn = format!(
        "arn:aws:sqs:{}:{}:{QUEUE}",
        emu.state.region, emu.state.lambda_account_id
    );
    let messages: Vec<Message> = (0..MESSAGES).map(|i| Message::new(&tag, i)).collect();
    let by_id: HashMap<&str, &Message> = messages.iter().map(|m| (m.id.as_str(), m)).collect();

    // SQS, played: pending messages in delivery order, with their receive counts.
    let mut pending: VecDeque<&Message> = messages.iter().collect();
    let mut receives: HashMap<&str, u32> = HashMap::new();
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let (mut rounds, mut handler_errors, mut item_failures) = (0, 0, 0);
    while !pending.is_empty() {
        assert!(
            rounds < MAX_ROUNDS,
            "{} messages still unacknowledged after {MAX_ROUNDS} rounds (seed {seed}); proxy: {}",
            pending.len(),
            proxy.control("GET", "")
        );
        if rounds == FAULT_ROUNDS {
            proxy.control("POST", "/off");
        }
        rounds += 1;
        let batch: Vec<&Message> = (0..BATCH).filter_map(|_| pending.pop_front()).collect();
        let records: Vec<Value> = batch
            .iter()
            .map(|m| {
                let n = receives.entry(m.id.as_str()).or_insert(0);
                *n += 1;
                m.record(&queue_arn, *n)
            })
            .collect();
        let ids: BTreeSet<&str> = batch.iter().map(|m| m.id.as_str()).collect();
        let request_id = format!("{tag}-round-{rounds}");
        match invoke(&handler, json!({ "Records": records }), &request_id).await {
            Ok(response) => {
                let failed: BTreeSet<String> = response["batchItemFailures"]
                    .as_array()
                    .unwrap_or_else(|| panic!("an SQS batch response, got {response}"))
                    .iter()
                    .map(|f| {
                        f["itemIdentifier"]
                            .as_str()
                            .expect("itemIdentifier")
                            .to_owned()
                    })
                    .collect();
                for id in &failed {
                    assert!(
                        ids.contains(id.as_str()),
                        "the handler reported {id}, which is not in the batch"
                    );
                }
                item_failures += failed.len();
                for m in batch {
                    if failed.contains(&m.id) {
                        pending.push_back(m);
                    } else {
                        acknowledged.insert(m.id.clone());
                    }
                }
            }
            Err(error) => {
                eprintln!("faults: round {rounds}: the handler failed the batch: {error}");
                handler_errors += 1;
                pending.extend(batch);
            }
        }
    }
    let counters = proxy.control("GET", "");

    // What the bucket holds, read as its owner directly from the emulator.
    let s3 = emu.bucket_root_s3().await;
    let bucket = emu.state.bucket.as_str();
    let key_of = |id: &str| format!("{}sqs/{QUEUE}/{id}", emu.state.key_prefix);
    let mut problems = Vec::new();
    let mut lost = 0; // acknowledged (deleted from the queue) but not stored with exactly its bytes
    for id in &acknowledged {
        let expected = &by_id[id.as_str()].bytes;
        match s3.get_object().bucket(bucket).key(key_of(id)).send().await {
            Ok(out) => {
                let body = out.body.collect().await.expect("object body").into_bytes();
                if body.as_ref() != expected.as_slice() {
                    lost += 1;
                    problems.push(format!(
                        "{id}: stored {} bytes that differ from the message's {}",
                        body.len(),
                        expected.len()
                    ));
                }
            }
            Err(e) => {
                lost += 1;
                let why = match e.as_service_error().and_then(|e| e.code()) {
                    Some(code) => code.to_owned(),
                    None => aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                };
                problems.push(format!("{id}: acknowledged but not stored ({why})"));
            }
        }
    }
    let expected_keys: BTreeSet<String> = messages.iter().map(|m| key_of(&m.id)).collect();
    let mut listed = BTreeSet::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.expect("list objects");
        for object in page.contents() {
            if let Some(key) = object.key().filter(|k| k.contains(&tag)) {
                listed.insert(key.to_owned());
            }
        }
    }
    for extra in listed.difference(&expected_keys) {
        problems.push(format!("{extra}: stored, but no message has this key"));
    }
    let versions = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key_of(&tag))
        .send()
        .await
        .expect("list object versions");
    assert_ne!(versions.is_truncated(), Some(true), "one page of versions");
    let mut per_key: BTreeMap<&str, usize> = BTreeMap::new();
    for v in versions.versions() {
        *per_key.entry(v.key().unwrap_or_default()).or_default() += 1;
    }
    for (key, n) in per_key.iter().filter(|(_, n)| **n != 1) {
        problems.push(format!("{key}: {n} versions, expected exactly 1"));
    }
    for marker in versions.delete_markers() {
        problems.push(format!(
            "{}: a delete marker",
            marker.key().unwrap_or_default()
        ));
    }

    let injected = &counters["injected"];
    let figures = format!(
        "faults: injected 503={} 500={} reset_before={} reset_after={} throttled={}; \
         rounds={rounds}; messages={MESSAGES}; acknowledged={}; lost={lost}; \
         (faults on for {} rounds at rate {FAULT_RATE}, seed {seed}; redelivered={item_failures}, \
         handler_errors={handler_errors}; proxy: requests={} forwarded={} assume_role={} \
         answered_412={}; {:.1} s)",
        injected["slowdown_503"],
        injected["internal_500"],
        injected["reset_before"],
        injected["reset_after"],
        injected["throttled"],
        acknowledged.len(),
        rounds.min(FAULT_ROUNDS),
        counters["requests"],
        counters["forwarded"],
        counters["assume_role"],
        counters["answered_412"],
        started.elapsed().as_secs_f64(),
    );
    // Straight to stderr, past libtest's capture: the figures show on every run.
    let _ = writeln!(std::io::stderr(), "{figures}");
    assert!(
        problems.is_empty(),
        "the bucket does not hold exactly the acknowledged messages (seed {seed}):\n  {}",
        problems.join("\n  ")
    );
    assert_eq!(lost, 0);
    assert_eq!(acknowledged.len(), MESSAGES, "every message acknowledged");
    assert_eq!(listed, expected_keys, "exactly one object per message");
    for kind in KINDS {
        assert!(
            injected[kind].as_u64().unwrap_or(0) >= 1,
            "no {kind} fault was injected (seed {seed}): the test proved nothing about it; {counters}"
        );
    }
    assert_eq!(
        counters["upstream_errors"], 0,
        "the proxy reached the emulator every time"
    );
}

// ---------------------------------------------------------------------------
// The handler
// ---------------------------------------------------------------------------

/// The one place the handler is invoked, with the payload as raw JSON (as the Runtime API delivers it).
async fn invoke(
    handler: &Handler,
    payload: Value,
    request_id: &str,
) -> Result<Value, HandlerError> {
    handler
        .handle(support::lambda_event(&payload.to_string(), request_id))
        .await
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

// ---------------------------------------------------------------------------
// The messages
// ---------------------------------------------------------------------------

/// One queue message: text, or binary sent base64-encoded (`content-encoding: base64`).
struct Message {
    id: String,
    bytes: Vec<u8>,
    binary: bool,
}

impl Message {
    fn new(tag: &str, i: usize) -> Self {
        let binary = i % 3 == 1;
        let bytes = if binary {
            // Every byte value, in a different order and length per message.
            let mut state =
                0x9E37_79B9_7F4A_7C15u64 ^ (i as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            (0..(17 + i * 97))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect()
        } else if i.is_multiple_of(3) {
            format!(r#"{{"n":{i},"tag":"{tag}","note":"fault injection, ünïcödé ✓"}}"#).into_bytes()
        } else {
            format!("plain text message {i} of {tag}\n{}", "line\n".repeat(i)).into_bytes()
        };
        Self {
            id: format!("{tag}-{i:02}"),
            bytes,
            binary,
        }
    }

    /// The SQS record of this message's `receive`-th delivery (shape of events/sqs.json).
    fn record(&self, queue_arn: &str, receive: u32) -> Value {
        let (body, attributes) = if self.binary {
            (
                base64::engine::general_purpose::STANDARD.encode(&self.bytes),
                json!({
                    "content-encoding": { "stringValue": "base64", "stringListValues": [], "binaryListValues": [], "dataType": "String" },
                    "content-type": { "stringValue": "application/octet-stream", "stringListValues": [], "binaryListValues": [], "dataType": "String" }
                }),
            )
        } else {
            (
                String::from_utf8(self.bytes.clone()).expect("text"),
                json!({}),
            )
        };
        json!({
            "messageId": self.id,
            "receiptHandle": format!("rh-{}-{receive}", self.id),
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": receive.to_string(),
                "SentTimestamp": "1763800000000",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1763800000100"
            },
            "messageAttributes": attributes,
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": "us-east-1"
        })
    }
}

/// Unique per run, shared by every message ID of the run.
fn run_tag() -> String {
    format!("faults-{:x}", support::unique())
}

// ---------------------------------------------------------------------------
// The proxy
// ---------------------------------------------------------------------------

/// `tests/support/faultproxy.py`, running in front of the emulator; stopped on drop.
struct FaultProxy {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl FaultProxy {
    fn start(emu: &Emulator, seed: u64, rate: f64) -> Self {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/faultproxy.py");
        let mut child = Command::new(support::python())
            .arg(script)
            .arg("--state")
            .arg(emu.state_file())
            .args(["--seed", &seed.to_string(), "--rate", &rate.to_string()])
            .args(["--cover-each", "--max-seconds", "300"])
            .args(std::env::var_os("FAULTS_VERBOSE").map(|_| "--verbose"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting tests/support/faultproxy.py");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("the proxy's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            // Keep the pipe open (and drained) for the proxy's lifetime.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("the proxy printed its port in time")
            .expect("the proxy's first line");
        let port = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("the proxy's first line is {{\"port\": N}}, got {line:?}"));
        Self { child, stdin, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET /__faults__` (counters) or `POST /__faults__/on|off`; answers the counters.
    fn control(&self, method: &str, path: &str) -> Value {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the proxy listens");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            stream,
            "{method} /__faults__{path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("control request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("control answer");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "control {method} {path}: {head}"
        );
        serde_json::from_str(body).expect("control answer is JSON")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF on stdin: the proxy exits
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
