//! SNS, EventBridge, HTTP and direct invocations land, and an EventBridge event is kept byte for byte.

use libtest_mimic::Failed;
use serde_json::{Value, json};

use crate::harness::{block_on, event, fresh, get, handler, raw_event, sample};
use crate::support::Emulator;

scenarios![
    sns_eventbridge_http_and_direct_land,
    eventbridge_event_is_stored_byte_for_byte,
];

fn sns_eventbridge_http_and_direct_land(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;

        let mut sns = sample("sns.json");
        let sns_id = fresh("sns");
        sns["Records"][0]["Sns"]["MessageId"] = json!(sns_id);
        let summary = h.handle(event(sns, "r-sns")).await.expect("SNS handled");
        assert_eq!(summary["written"][0]["status"], "created");
        let o = get(emu, &format!("incoming/sns/writer-topic/{sns_id}")).await;
        assert_eq!(o.body, br#"{"orderId":"o-1001","status":"shipped"}"#);

        let mut eb = sample("eventbridge.json");
        let eb_id = fresh("eb");
        eb["id"] = json!(eb_id);
        h.handle(event(eb.clone(), "r-eb"))
            .await
            .expect("EventBridge handled");
        let o = get(
            emu,
            &format!("incoming/events/demo.orders/OrderPlaced/{eb_id}"),
        )
        .await;
        assert_eq!(o.body, eb.to_string().as_bytes());

        for file in [
            "apigw-http-v2.json",
            "apigw-rest-v1.json",
            "function-url.json",
        ] {
            let mut http = sample(file);
            let request_id = fresh("http");
            http["requestContext"]["requestId"] = json!(request_id);
            let response = h.handle(event(http, "r-http")).await.expect("HTTP handled");
            assert_eq!(response["statusCode"], 201, "{file}: {response}");
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["key"], format!("incoming/http/{request_id}"));
            assert_eq!(body["bucket"], emu.state.bucket.as_str());
            assert!(body["etag"].is_string(), "{body}");
            get(emu, &format!("incoming/http/{request_id}")).await;
        }

        let request_id = fresh("direct");
        let summary = h
            .handle(raw_event(
                &std::fs::read_to_string(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("events/direct-batch.json"),
                )
                .unwrap(),
                &request_id,
            ))
            .await
            .expect("direct handled");
        assert_eq!(summary["failed"], 0, "{summary}");
        let o = get(emu, &format!("incoming/direct/{request_id}/0")).await;
        assert_eq!(o.body, b"plain text, key derived from the request id");
        assert_eq!(o.content_type.as_deref(), Some("text/plain"));
        Ok(())
    })
}

fn eventbridge_event_is_stored_byte_for_byte(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let h = handler(emu, &[], None).await;
        let id = fresh("big-int");
        let text = format!(
            r#"{{"version":"0","id":"{id}","detail-type":"Order Placed","source":"demo.orders","account":"111111111111","time":"2026-11-22T08:00:00Z","region":"us-east-1","resources":[],"detail":{{"zeta":1,"amount":123456789012345678901,"ratio":1.10,"note":"caf\u00e9 \"quoted\"","emoji":"😀"}}}}"#
        );
        h.handle(raw_event(&text, "r-eb-big"))
            .await
            .expect("handled");
        let o = get(
            emu,
            &format!("incoming/events/demo.orders/Order Placed/{id}"),
        )
        .await;
        assert_eq!(String::from_utf8_lossy(&o.body), text);
        Ok(())
    })
}
