//! What every scenario shares: a runtime, handlers and events, fresh IDs, and reads of the bucket.

use std::collections::HashMap;

use cross_account_s3_writer::handler::{Handler, HandlerError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::support::{self, Emulator, Keys};

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

pub(crate) async fn handler(
    emu: &Emulator,
    overrides: &[(&str, &str)],
    identity: Option<&Keys>,
) -> Handler {
    emu.handler(overrides, identity, None).await
}

pub(crate) fn event(payload: Value, request_id: &str) -> LambdaEvent<Box<RawValue>> {
    raw_event(&payload.to_string(), request_id)
}

pub(crate) fn raw_event(text: &str, request_id: &str) -> LambdaEvent<Box<RawValue>> {
    support::lambda_event(text, request_id)
}

pub(crate) fn sample(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample event"))
        .expect("sample JSON")
}

/// A fresh ID, so scenarios sharing the bucket never collide.
pub(crate) fn fresh(tag: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{tag}-{:x}-{n}", support::unique())
}

pub(crate) struct Object {
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) metadata: HashMap<String, String>,
}

/// Reads an object as the bucket account's root.
pub(crate) async fn get(emu: &Emulator, key: &str) -> Object {
    let s3 = emu.bucket_root_s3().await;
    let out = s3
        .get_object()
        .bucket(&emu.state.bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "object {key} should exist: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
    let content_type = out.content_type.clone();
    let content_encoding = out.content_encoding.clone();
    let metadata = out.metadata.clone().unwrap_or_default();
    let body = out
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec();
    Object {
        body,
        content_type,
        content_encoding,
        metadata,
    }
}

pub(crate) async fn versions(emu: &Emulator, key: &str) -> usize {
    let s3 = emu.bucket_root_s3().await;
    let out = s3
        .list_object_versions()
        .bucket(&emu.state.bucket)
        .prefix(key)
        .send()
        .await
        .expect("list versions");
    out.versions
        .unwrap_or_default()
        .iter()
        .filter(|v| v.key.as_deref() == Some(key))
        .count()
}

/// Every key in the bucket under `prefix`, all pages.
pub(crate) async fn keys_under(emu: &Emulator, prefix: &str) -> Vec<String> {
    let mut pages = emu
        .bucket_root_s3()
        .await
        .list_objects_v2()
        .bucket(&emu.state.bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("ListObjectsV2");
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    keys
}

pub(crate) fn with_queue_ids(mut event: Value, ids: &[&str]) -> Value {
    for (record, id) in event["Records"]
        .as_array_mut()
        .expect("Records")
        .iter_mut()
        .zip(ids)
    {
        record["messageId"] = json!(id);
    }
    event
}

/// The error of a failed invocation, and its Lambda error type.
pub(crate) fn failure(result: Result<Value, HandlerError>) -> (String, String) {
    let error = result.expect_err("the invocation fails");
    let message = error.to_string();
    let diagnostic = Diagnostic::from(error);
    (message, diagnostic.error_type)
}
