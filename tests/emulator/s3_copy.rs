//! S3 notifications: the named source object (or version) is copied, large ones in parts, never rolled back.

use aws_sdk_s3::primitives::ByteStream;
use cross_account_s3_writer::handler::Handler;
use libtest_mimic::Failed;
use serde_json::{Value, json};

use crate::harness::{block_on, event, fresh, get, handler, sample, versions};
use crate::support::Emulator;

scenarios![
    s3_notification_copies_the_source_object,
    s3_large_object_is_copied_in_parts,
    s3_overwrite_replaces_the_copy_and_a_late_old_event_never_rolls_it_back,
    s3_versioned_source_copies_the_named_version,
    s3_redelivered_large_object_is_not_uploaded_again,
];

/// Puts an object in the lambda account's source bucket, as that account's root.
/// Puts an object in the source bucket; its ETag (unquoted) and version ID.
pub(crate) async fn put_source(
    emu: &Emulator,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> (String, Option<String>) {
    let s3 = emu.s3_of(&emu.state.lambda_root).await;
    let out = s3
        .put_object()
        .bucket(&emu.state.source_bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("source put: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
    (
        out.e_tag.unwrap_or_default().trim_matches('"').to_owned(),
        out.version_id,
    )
}

/// The sample S3 notification for `key_in_event` (form-encoded, as S3 sends
/// keys), without the sample's ETag.
fn s3_event_for(emu: &Emulator, key_in_event: &str) -> Value {
    let mut e = sample("s3.json");
    e["Records"][0]["s3"]["bucket"]["name"] = json!(emu.state.source_bucket);
    e["Records"][0]["s3"]["object"]["key"] = json!(key_in_event);
    e["Records"][0]["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("eTag");
    e
}

/// A notification for `key` naming this version of it, in S3's own form.
pub(crate) fn s3_event(
    emu: &Emulator,
    key: &str,
    etag: &str,
    version: Option<&str>,
    sequencer: &str,
) -> Value {
    const FORM: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b' ');
    let encoded = percent_encoding::utf8_percent_encode(key, FORM)
        .to_string()
        .replace(' ', "+");
    let mut e = s3_event_for(emu, &encoded);
    let object = &mut e["Records"][0]["s3"]["object"];
    object["eTag"] = json!(etag);
    object["sequencer"] = json!(sequencer);
    if let Some(v) = version {
        object["versionId"] = json!(v);
    }
    e
}

pub(crate) fn destination(emu: &Emulator, source_key: &str) -> String {
    let prefix = cross_account_s3_writer::keys::KeyPrefix::parse(&emu.state.key_prefix).unwrap();
    prefix
        .derived(cross_account_s3_writer::keys::Layout::new(
            cross_account_s3_writer::source::Source::S3,
            Some(&emu.state.source_bucket),
            &[cross_account_s3_writer::keys::Part::Path(source_key)],
        ))
        .to_string()
}

fn s3_notification_copies_the_source_object(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let name = fresh("report");
        let _ = put_source(
            emu,
            &format!("reports/{name} Q4.csv"),
            b"a,b\n1,2\n".to_vec(),
            "text/csv",
        )
        .await;
        let summary = h
            .handle(event(
                s3_event_for(emu, &format!("reports/{name}+Q4.csv")),
                "r-s3",
            ))
            .await
            .expect("S3 handled");
        assert_eq!(summary["written"][0]["status"], "created", "{summary}");
        let o = get(
            emu,
            &format!(
                "incoming/s3/{}/reports/{name} Q4.csv",
                emu.state.source_bucket
            ),
        )
        .await;
        assert_eq!(o.body, b"a,b\n1,2\n");
        assert_eq!(
            o.content_type.as_deref(),
            Some("text/csv"),
            "the source's content type is kept"
        );
        Ok(())
    })
}

fn s3_large_object_is_copied_in_parts(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        // 5 MiB parts (S3's minimum), 12 MiB + 7 bytes: three parts, the last one short;
        // two in flight at a time, so the third waits for a free slot.
        let h = handler(
            emu,
            &[("PART_SIZE_MIB", "5"), ("MAX_CONCURRENT_PARTS", "2")],
            None,
        )
        .await;
        let body: Vec<u8> = (0..12 * 1024 * 1024 + 7)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let name = fresh("big");
        let _ = put_source(
            emu,
            &format!("{name}.bin"),
            body.clone(),
            "application/octet-stream",
        )
        .await;
        let summary = h
            .handle(event(s3_event_for(emu, &format!("{name}.bin")), "r-big"))
            .await
            .expect("S3 handled");
        assert_eq!(summary["written"][0]["status"], "created", "{summary}");
        let o = get(
            emu,
            &format!("incoming/s3/{}/{name}.bin", emu.state.source_bucket),
        )
        .await;
        assert_eq!(o.body.len(), body.len());
        assert!(o.body == body, "multipart copy differs from the source");
        Ok(())
    })
}

/// The answer to an S3 event: the written entry's status.
pub(crate) async fn s3_status(h: &Handler, event_json: Value) -> String {
    let summary = h
        .handle(event(event_json, "r-s3v"))
        .await
        .expect("S3 handled");
    summary["written"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn s3_overwrite_replaces_the_copy_and_a_late_old_event_never_rolls_it_back(
    emu: &Emulator,
) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let key = format!("reports/{}/daily.csv", fresh("ow"));
        let (etag1, v1) = put_source(emu, &key, b"v1\n".to_vec(), "text/csv").await;
        let first = s3_event(emu, &key, &etag1, v1.as_deref(), "0055AED6DCD90281E5");
        assert_eq!(s3_status(&h, first.clone()).await, "created");
        let (etag2, v2) = put_source(emu, &key, b"v2, overwritten\n".to_vec(), "text/csv").await;
        let second = s3_event(emu, &key, &etag2, v2.as_deref(), "0055AED6DCD90281F0");
        assert_eq!(s3_status(&h, second.clone()).await, "replaced");
        let dest = destination(emu, &key);
        assert_eq!(get(emu, &dest).await.body, b"v2, overwritten\n");

        // A late redelivery of the first event changes nothing, and says so.
        assert_eq!(s3_status(&h, first).await, "superseded");
        assert_eq!(s3_status(&h, second).await, "already_existed");
        let o = get(emu, &dest).await;
        assert_eq!(o.body, b"v2, overwritten\n", "never rolled back");
        assert_eq!(o.metadata.get("source-etag"), Some(&etag2));
        assert_eq!(versions(emu, &dest).await, 2);
        Ok(())
    })
}

fn s3_versioned_source_copies_the_named_version(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let root = emu.s3_of(&emu.state.lambda_root).await;
        root.put_bucket_versioning()
            .bucket(&emu.state.source_bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("source versioning on");
        let h = handler(emu, &[], None).await;
        let key = format!("versioned/{}.txt", fresh("v"));
        let (etag1, v1) = put_source(emu, &key, b"version one".to_vec(), "text/plain").await;
        let (etag2, v2) = put_source(emu, &key, b"version two".to_vec(), "text/plain").await;
        let (v1, v2) = (v1.expect("a version ID"), v2.expect("a version ID"));
        // The first event arrives after the overwrite: its own version is copied
        // (s3:GetObjectVersion), not whatever is current.
        assert_eq!(
            s3_status(&h, s3_event(emu, &key, &etag1, Some(&v1), "0A")).await,
            "created"
        );
        let dest = destination(emu, &key);
        let o = get(emu, &dest).await;
        assert_eq!(o.body, b"version one");
        assert_eq!(o.metadata.get("source-version-id"), Some(&v1));
        assert_eq!(
            s3_status(&h, s3_event(emu, &key, &etag2, Some(&v2), "0B")).await,
            "replaced"
        );
        assert_eq!(get(emu, &dest).await.body, b"version two");
        Ok(())
    })
}

fn s3_redelivered_large_object_is_not_uploaded_again(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[("PART_SIZE_MIB", "5")], None).await;
        let key = format!("{}.bin", fresh("big-again"));
        let body = vec![7u8; 11 * 1024 * 1024];
        let (etag, version) = put_source(emu, &key, body, "application/octet-stream").await;
        let notification = s3_event(emu, &key, &etag, version.as_deref(), "0C");
        assert_eq!(s3_status(&h, notification.clone()).await, "created");
        // Remove the source: a redelivery that read it again would now fail.
        emu.s3_of(&emu.state.lambda_root)
            .await
            .delete_object()
            .bucket(&emu.state.source_bucket)
            .key(&key)
            .send()
            .await
            .expect("source deleted");
        assert_eq!(s3_status(&h, notification).await, "already_existed");
        assert_eq!(versions(emu, &destination(emu, &key)).await, 1);
        Ok(())
    })
}
