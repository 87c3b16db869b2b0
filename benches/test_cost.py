"""The cost model against figures computed by hand (`make test-bench`, part of `make test`)."""

import pytest

import cost


def test_billed_duration_stretches_cpu_at_128_mb_and_rounds_up():
    # 1 CPU ms at 128/1769 of a vCPU takes 1769/128 = 13.8203125 ms: 12.8203125 ms more than measured.
    assert cost.billed_ms(28.3, 1.0) == 42  # 28.3 + 12.8203125 = 41.12 -> 42
    assert cost.billed_ms(10.0, 0.0) == 10
    assert cost.billed_ms(10.001, 0.0) == 11
    # At 1,769 MB and above a CPU ms is a wall ms: only the wall counts.
    assert cost.billed_ms(10.5, 4.0, memory_mb=1769) == 11
    assert cost.billed_ms(10.5, 4.0, memory_mb=3538) == 11


def test_own_cost_of_record_mode_at_batch_10():
    c = cost.own_cost(events_per_invocation=10, billed_ms_per_invocation=42, puts_per_event=1.0, gets_per_event=0.0)
    assert c["lambda requests"] == pytest.approx(0.02)  # 100,000 invocations x $0.20 per million
    assert c["lambda duration"] == pytest.approx(0.007000035)  # 4,200 s x 0.125 GB x $0.0000133334
    assert c["s3 put"] == pytest.approx(5.0)  # 1,000,000 PUTs x $0.005 per 1,000
    assert c["s3 get/head"] == 0 and c["kms"] == 0
    assert sum(c.values()) == pytest.approx(5.027000035)


def test_own_cost_of_a_batch_of_1000_with_a_head_and_kms():
    c = cost.own_cost(1000, 300, puts_per_event=0.001, gets_per_event=0.001, kms_per_event=0.001)
    assert c["lambda requests"] == pytest.approx(0.0002)
    assert c["lambda duration"] == pytest.approx(0.000500003)  # 300 s x 0.125 GB
    assert c["s3 put"] == pytest.approx(0.005)
    assert c["s3 get/head"] == pytest.approx(0.0004)
    assert c["kms"] == pytest.approx(0.003)  # 1,000 requests x $0.03 per 10,000


def test_sqs_counts_sends_receives_and_deletes_in_64_kib_chunks():
    assert cost.sqs_cost(1024, per_send=10) == pytest.approx(0.12)  # 100k sends + 100k receives + 100k deletes
    assert cost.sqs_cost(1024, per_send=1) == pytest.approx(0.48)  # 1M sends + 100k + 100k
    assert cost.sqs_cost(1024, per_send=1, fifo=True) == pytest.approx(0.60)
    # 100 KiB messages: each send is 2 chunks; a receive of 10 is 1,000 KiB = 16 chunks.
    assert cost.sqs_cost(100 * 1024, per_send=1) == pytest.approx((2_000_000 + 1_600_000 + 100_000) * 0.4e-6)


def test_kinesis_pays_payload_units_and_the_shard_hours_a_million_events_take():
    # 100 events/s: one shard for 10,000 s = 2.78 h x $0.015, plus 1M units x $0.014 per million.
    assert cost.kinesis_cost(1024, events_per_s=100) == pytest.approx(0.014 + 1e6 / 100 / 3600 * 0.015)
    # 2,000 events/s need two shards (1,000 records/s each) for 500 s.
    assert cost.kinesis_cost(1024, events_per_s=2000) == pytest.approx(0.014 + 2 * 500 / 3600 * 0.015)
    # 30 KiB records are two payload units each.
    assert cost.kinesis_cost(30 * 1024, events_per_s=10) == pytest.approx(0.028 + 1e5 / 3600 * 0.015)


def test_firehose_rounds_each_record_up_to_5_kb_and_puts_5_mib_buffers():
    c = cost.firehose_cost(1024)
    assert c["firehose ingestion"] == pytest.approx(5.12e9 / 2 ** 30 * 0.029)  # 4.77 GB billed for 0.95 GB sent
    assert c["s3 put"] == pytest.approx(196 * 0.005 / 1000)  # ceil(1.024e9 B / 5 MiB) = 196 PUTs
    assert cost.firehose_cost(6000)["firehose ingestion"] == pytest.approx(2 * 5.12e9 / 2 ** 30 * 0.029)


def test_report_states_the_goal_met_or_not_and_where_firehose_is_cheaper():
    runs = {("function", "record", 10): {"billed_ms": 42, "puts": 1.0, "gets": 0.0},
            cost.GOAL_ROW: {"billed_ms": 300, "puts": 0.001, "gets": 0.0}}
    text = cost.report(runs, 1024, 25, goal=0.5)
    assert "0.04x Firehose (goal <= 0.5x met)" in text  # (0.0002 + 0.0005 + 0.005) / 0.1393 = 0.041
    assert "record mode at batch size 10: 5.0270, S3 PUTs 5.0000 of it, 36x Firehose" in text
    assert "whole path with SQS 1/send at or below Firehose's: none" in text
    # A batch that cost more than half of Firehose's: 20 PUTs per 1,000 events = $0.10.
    runs[cost.GOAL_ROW] = {"billed_ms": 300, "puts": 0.02, "gets": 0.0}
    assert "(goal <= 0.5x not met)" in cost.report(runs, 1024, 25, goal=0.5)
