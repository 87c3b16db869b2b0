//! S3 Batch Operations backfills. ministack has no Batch Operations jobs
//! (no S3 Control `CreateJob`), so the handler is invoked with the events a
//! job sends, real-shaped (schema 1.0 and 2.0), against the emulated accounts:
//! the source reads and the writes into the bucket account are real.

use libtest_mimic::Failed;
use serde_json::{Value, json};

use crate::harness::{block_on, event, fresh, get, handler, keys_under, versions};
use crate::s3_copy::{destination, put_source, s3_event, s3_status};
use crate::support::Emulator;

scenarios![
    batch_operations_fill_a_gap_byte_for_byte_under_the_notification_key,
    batch_operations_leave_a_newer_notification_copy_unchanged,
    batch_operations_refuse_a_bucket_of_another_account,
    batch_operations_refuse_keys_with_dot_segments_and_write_nothing,
];

/// A key as Batch Operations sends it: URL-encoded.
fn encoded(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

/// An invocation of `schema` with one task per (bucket, key, version).
fn invocation(schema: &str, tasks: &[(&str, &str, Option<&str>)]) -> Value {
    let tasks: Vec<Value> = tasks
        .iter()
        .enumerate()
        .map(|(i, (bucket, key, version))| {
            let mut task = json!({
                "taskId": format!("task-{i}"),
                "s3Key": encoded(key),
                "s3VersionId": version,
            });
            if schema == "1.0" {
                task["s3BucketArn"] = json!(format!("arn:aws:s3:::{bucket}"));
            } else {
                task["s3Bucket"] = json!(bucket);
            }
            task
        })
        .collect();
    let mut job = json!({ "id": fresh("job") });
    if schema == "2.0" {
        job["userArguments"] = json!({});
    }
    json!({
        "invocationSchemaVersion": schema,
        "invocationId": fresh("inv"),
        "job": job,
        "tasks": tasks,
    })
}

/// Each task's (result code, result string), after checking the echo.
async fn results(emu: &Emulator, invocation: Value) -> Vec<(String, String)> {
    let h = handler(emu, &[], None).await;
    let answer = h
        .handle(event(invocation.clone(), "r-batch"))
        .await
        .expect("a Batch Operations invocation succeeds; its tasks carry the failures");
    assert_eq!(
        answer["invocationSchemaVersion"],
        invocation["invocationSchemaVersion"]
    );
    assert_eq!(answer["invocationId"], invocation["invocationId"]);
    assert_eq!(answer["treatMissingKeysAs"], "PermanentFailure");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), invocation["tasks"].as_array().unwrap().len());
    results
        .iter()
        .zip(invocation["tasks"].as_array().unwrap())
        .map(|(result, task)| {
            assert_eq!(result["taskId"], task["taskId"], "{answer}");
            let text = |f: &str| result[f].as_str().unwrap_or_default().to_owned();
            (text("resultCode"), text("resultString"))
        })
        .collect()
}

fn batch_operations_fill_a_gap_byte_for_byte_under_the_notification_key(
    emu: &Emulator,
) -> Result<(), Failed> {
    block_on(async {
        let bucket = emu.state.source_bucket.as_str();
        let one = format!("backfill/{}/Q4 résumé+final.csv", fresh("gap"));
        let two = format!("backfill/{}/data.bin", fresh("gap"));
        let body_two: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let (_, version_one) = put_source(emu, &one, b"a,b\n1,2\n".to_vec(), "text/csv").await;
        let _ = put_source(emu, &two, body_two.clone(), "application/octet-stream").await;
        for (schema, key, version, body) in [
            ("1.0", &one, version_one.as_deref(), b"a,b\n1,2\n".to_vec()),
            ("2.0", &two, None, body_two),
        ] {
            let got = results(emu, invocation(schema, &[(bucket, key, version)])).await;
            assert_eq!(got[0].0, "Succeeded", "{schema}: {got:?}");
            assert!(got[0].1.starts_with("created "), "{got:?}");
            let dest = destination(emu, key);
            let o = get(emu, &dest).await;
            assert!(o.body == body, "{schema}: the copy differs from the source");
            assert_eq!(o.metadata.get("source").map(String::as_str), Some("s3"));
            assert_eq!(
                o.metadata.get("source-id"),
                // Metadata keeps non-ASCII percent-encoded.
                Some(&format!("{bucket}/{key}").replace('é', "%C3%A9")),
                "the identity a notification gives it"
            );
            // Run again (S3 retries, or a second job): nothing new is written.
            let again = results(emu, invocation(schema, &[(bucket, key, version)])).await;
            assert_eq!(again[0].0, "Succeeded", "{again:?}");
            assert!(again[0].1.starts_with("already_existed "), "{again:?}");
            assert_eq!(versions(emu, &dest).await, 1);
        }
        Ok(())
    })
}

fn batch_operations_leave_a_newer_notification_copy_unchanged(
    emu: &Emulator,
) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let key = format!("backfill/{}/daily.csv", fresh("newer"));
        let (_, old_version) = put_source(emu, &key, b"old\n".to_vec(), "text/csv").await;
        let (etag, new_version) = put_source(emu, &key, b"new\n".to_vec(), "text/csv").await;
        let notification = s3_event(
            emu,
            &key,
            &etag,
            new_version.as_deref(),
            "0055AED6DCD90281F0",
        );
        assert_eq!(s3_status(&h, notification).await, "created");
        let dest = destination(emu, &key);
        // A backfill naming the older version (when the bucket keeps versions), and the current one.
        for schema in ["1.0", "2.0"] {
            let tasks = [
                (
                    emu.state.source_bucket.as_str(),
                    key.as_str(),
                    old_version.as_deref(),
                ),
                (emu.state.source_bucket.as_str(), key.as_str(), None),
            ];
            for (code, text) in results(emu, invocation(schema, &tasks)).await {
                assert_eq!(code, "Succeeded", "{text}");
                assert!(
                    text.starts_with("superseded ") || text.starts_with("already_existed "),
                    "{text}"
                );
            }
        }
        let o = get(emu, &dest).await;
        assert_eq!(o.body, b"new\n", "never rolled back");
        assert_eq!(
            o.metadata.get("source-sequencer").map(String::as_str),
            Some("0055AED6DCD90281F0"),
            "the notification's copy, untouched"
        );
        assert_eq!(versions(emu, &dest).await, 1, "no write at all");
        Ok(())
    })
}

fn batch_operations_refuse_a_bucket_of_another_account(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        // An object in the bucket account's bucket: not the lambda account's.
        let key = format!("elsewhere/{}.txt", fresh("foreign"));
        emu.bucket_root_s3()
            .await
            .put_object()
            .bucket(&emu.state.bucket)
            .key(&key)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"not ours"))
            .send()
            .await
            .expect("put in the bucket account");
        for schema in ["1.0", "2.0"] {
            let got = results(
                emu,
                invocation(schema, &[(emu.state.bucket.as_str(), key.as_str(), None)]),
            )
            .await;
            assert_eq!(got[0].0, "PermanentFailure", "{got:?}");
            assert!(
                got[0]
                    .1
                    .contains(&format!("s3://{}/{key}", emu.state.bucket))
                    && got[0].1.contains("AccessDenied"),
                "{got:?}"
            );
        }
        let would_be = format!("{}s3/{}/elsewhere/", emu.state.key_prefix, emu.state.bucket);
        let written: Vec<String> = keys_under(emu, &would_be)
            .await
            .into_iter()
            .filter(|k| k.ends_with(&key))
            .collect();
        assert!(written.is_empty(), "{written:?}");
        Ok(())
    })
}

fn batch_operations_refuse_keys_with_dot_segments_and_write_nothing(
    emu: &Emulator,
) -> Result<(), Failed> {
    block_on(async {
        let name = fresh("dots");
        let bucket = emu.state.source_bucket.as_str();
        let keys = [format!("{name}/../escaped.txt"), format!("../{name}.txt")];
        let dotdot_encoded = json!(format!("{name}/%2E%2E/escaped.txt"));
        for schema in ["1.0", "2.0"] {
            let mut call = invocation(
                schema,
                &[
                    (bucket, keys[0].as_str(), None),
                    (bucket, keys[1].as_str(), None),
                ],
            );
            // The same key with its dots percent-encoded too.
            let mut third = call["tasks"][0].clone();
            third["taskId"] = json!("task-2");
            third["s3Key"] = dotdot_encoded.clone();
            call["tasks"].as_array_mut().unwrap().push(third);
            for (code, text) in results(emu, call).await {
                assert_eq!(code, "PermanentFailure", "{text}");
                assert!(text.contains("\"..\" segment"), "{text}");
            }
        }
        let everywhere: Vec<String> = keys_under(emu, "")
            .await
            .into_iter()
            .filter(|k| k.contains(&name) || k.contains("escaped.txt"))
            .collect();
        assert!(everywhere.is_empty(), "nothing written: {everywhere:?}");
        Ok(())
    })
}
