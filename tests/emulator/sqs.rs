//! SQS: messages land under their queue and ID, a malformed one fails alone, a redelivery never overwrites.

use libtest_mimic::Failed;
use serde_json::json;

use crate::harness::{block_on, event, fresh, get, handler, sample, versions, with_queue_ids};
use crate::support::Emulator;

scenarios![
    sqs_messages_land_under_their_queue_and_id,
    sqs_malformed_message_fails_alone,
    sqs_redelivery_never_overwrites,
];

fn sqs_messages_land_under_their_queue_and_id(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let (a, b) = (fresh("sqs-a"), fresh("sqs-b"));
        let response = h
            .handle(event(with_queue_ids(sample("sqs.json"), &[&a, &b]), "r1"))
            .await
            .expect("handled");
        assert_eq!(response, json!({ "batchItemFailures": [] }));
        let first = get(emu, &format!("incoming/sqs/writer-queue/{a}")).await;
        assert_eq!(first.body, br#"{"orderId":"o-1001","total":42.5}"#);
        assert_eq!(first.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            first.metadata.get("source").map(String::as_str),
            Some("sqs")
        );
        assert_eq!(first.metadata.get("source-id"), Some(&a));
        let second = get(emu, &format!("incoming/sqs/writer-queue/{b}")).await;
        assert_eq!(second.body, b"hello, binary world\n");
        assert_eq!(second.content_type.as_deref(), Some("text/plain"));
        Ok(())
    })
}

fn sqs_malformed_message_fails_alone(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let ids = [fresh("ok-1"), fresh("bad"), fresh("ok-3")];
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let response = h
            .handle(event(
                with_queue_ids(sample("sqs-partial-failure.json"), &refs),
                "r2",
            ))
            .await
            .expect("handled");
        assert_eq!(
            response,
            json!({ "batchItemFailures": [{ "itemIdentifier": ids[1] }] })
        );
        assert_eq!(
            get(emu, &format!("incoming/sqs/writer-queue/{}", ids[0]))
                .await
                .body,
            b"first good message"
        );
        assert_eq!(
            get(emu, &format!("incoming/sqs/writer-queue/{}", ids[2]))
                .await
                .body,
            b"third good message"
        );
        assert_eq!(
            versions(emu, &format!("incoming/sqs/writer-queue/{}", ids[1])).await,
            0,
            "nothing written for the bad one"
        );
        Ok(())
    })
}

fn sqs_redelivery_never_overwrites(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let id = fresh("redelivered");
        let mut first = with_queue_ids(sample("sqs.json"), &[&id]);
        first["Records"].as_array_mut().unwrap().truncate(1);
        for attempt in ["first delivery", "identical redelivery"] {
            let response = h.handle(event(first.clone(), "r3")).await.expect("handled");
            assert_eq!(response, json!({ "batchItemFailures": [] }), "{attempt}");
        }
        // The same message ID with other bytes is not the record stored: it fails
        // (stays in the queue, reaches the DLQ), and the stored object is kept.
        let mut other = first.clone();
        other["Records"][0]["body"] = json!("a different body on redelivery");
        let response = h.handle(event(other, "r3")).await.expect("handled");
        assert_eq!(
            response,
            json!({ "batchItemFailures": [{ "itemIdentifier": id }] })
        );
        let key = format!("incoming/sqs/writer-queue/{id}");
        assert_eq!(
            get(emu, &key).await.body,
            br#"{"orderId":"o-1001","total":42.5}"#,
            "first write kept"
        );
        assert_eq!(
            versions(emu, &key).await,
            1,
            "no second version in the versioned bucket"
        );
        Ok(())
    })
}
