//! One AssumeRole serves many invocations, sequential or concurrent in one process.

use std::time::{Duration, SystemTime};

use libtest_mimic::Failed;
use serde_json::json;

use crate::harness::{block_on, event, fresh, get, sample, with_queue_ids};
use crate::support::Emulator;

scenarios![
    assume_role_once_across_50_invocations,
    concurrent_invocations_in_one_process_share_one_session,
];

fn assume_role_once_across_50_invocations(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let session = fresh("once");
        let started = SystemTime::now() - Duration::from_secs(1);
        let (h, clients) = emu
            .handler_with_clients(&[("ROLE_SESSION_NAME", &session)], None, None)
            .await;
        for n in 0..50 {
            let summary = h
                .handle(event(
                    json!({ "body": format!("invocation {n}") }),
                    &fresh("inv"),
                ))
                .await
                .unwrap();
            assert_eq!(summary["failed"], 0, "{summary}");
        }
        assert_eq!(
            clients
                .assume_role_calls
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "by the function's own count"
        );
        // And by the emulator's audit log: STS calls naming this session.
        // (ministack records query-protocol STS calls as "POST.sts", JSON ones by action.)
        let trail = aws_sdk_cloudtrail::Client::new(&emu.sdk_config(&emu.state.lambda_root).await);
        let mut ours = 0;
        for name in ["POST.sts", "AssumeRole"] {
            let mut pages = trail
                .lookup_events()
                .lookup_attributes(
                    aws_sdk_cloudtrail::types::LookupAttribute::builder()
                        .attribute_key(aws_sdk_cloudtrail::types::LookupAttributeKey::EventName)
                        .attribute_value(name)
                        .build()
                        .unwrap(),
                )
                .start_time(aws_sdk_cloudtrail::primitives::DateTime::from(started))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.expect("LookupEvents");
                ours += page
                    .events
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| e.cloud_trail_event.as_deref())
                    .filter(|raw| raw.contains("AssumeRole") && raw.contains(&session))
                    .count();
            }
        }
        assert_eq!(
            ours, 1,
            "the emulator saw {ours} AssumeRole calls with session {session}"
        );
        Ok(())
    })
}

/// Lambda Managed Instances run several invocations in one process
/// (`AWS_LAMBDA_MAX_CONCURRENCY`): the runtime interleaves them on one handler.
fn concurrent_invocations_in_one_process_share_one_session(emu: &Emulator) -> Result<(), Failed> {
    block_on(async {
        let (h, clients) = emu
            .handler_with_clients(&[("ROLE_SESSION_NAME", &fresh("concurrent"))], None, None)
            .await;
        let batches: Vec<[String; 2]> = (0..8)
            .map(|n| [fresh(&format!("c{n}-a")), fresh(&format!("c{n}-b"))])
            .collect();
        let invocations = batches.iter().enumerate().map(|(n, [a, b])| {
            let mut batch = with_queue_ids(sample("sqs.json"), &[a, b]);
            batch["Records"][0]["body"] = json!(format!("invocation {n}"));
            h.handle(event(batch, &format!("r-concurrent-{n}")))
        });
        let answers = futures_util::future::join_all(invocations).await;
        for (n, (answer, [a, b])) in answers.into_iter().zip(&batches).enumerate() {
            assert_eq!(
                answer.expect("handled"),
                json!({ "batchItemFailures": [] }),
                "{n}"
            );
            let first = get(emu, &format!("incoming/sqs/writer-queue/{a}")).await;
            assert_eq!(
                first.body,
                format!("invocation {n}").as_bytes(),
                "{n}: its own body"
            );
            let second = get(emu, &format!("incoming/sqs/writer-queue/{b}")).await;
            assert_eq!(second.body, b"hello, binary world\n", "{n}");
        }
        assert_eq!(
            clients
                .assume_role_calls
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "eight concurrent invocations, one AssumeRole"
        );
        Ok(())
    })
}
