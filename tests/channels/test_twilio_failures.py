"""Provider failures: classified, retried only before Twilio accepted, never raised."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from drill.channels.retry import RetryPolicy
from drill.channels.twilio_http import classify, make_client
from drill.channels.voice import VoiceNotifier
from drill.engine.notifier import FailureReason
from drill.plan.models import ChannelKind
from drill.sandbox.twilio_api import Fault, Reaction

from .conftest_twilio import MOBILE, Stack, free_port, make_page


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with Stack(twilio={"timeout_seconds": 0.5}) as running:
        yield running


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21211, FailureReason.INVALID_NUMBER),
        (21214, FailureReason.UNREACHABLE),
        (21610, FailureReason.BLOCKED),
        (21612, FailureReason.UNREACHABLE),
        (21408, FailureReason.CONFIG),
        (21216, FailureReason.BLOCKED),
    ],
)
async def test_twilio_error_codes_become_failure_reasons_without_retry(
    stack: Stack, code: int, reason: FailureReason
) -> None:
    stack.sandbox.fail_next(Fault.twilio_error(code), count=5)
    result = await stack.voice.send(make_page(1))
    assert not result.accepted and result.failure is reason
    assert result.detail is not None and str(code) in result.detail
    assert len(stack.sandbox.requests) == 1
    assert stack.sandbox.calls == []


async def test_a_malformed_number_is_refused_by_twilio_as_invalid(stack: Stack) -> None:
    result = await stack.voice.send(make_page(1, address="+8112"))
    assert (result.accepted, result.failure) == (False, FailureReason.INVALID_NUMBER)
    assert [r.status for r in stack.sandbox.requests] == [400]


async def test_a_number_the_person_model_says_is_invalid_fails_at_once(stack: Stack) -> None:
    stack.sandbox.behave(MOBILE, Reaction.INVALID)
    result = await stack.voice.send(make_page(1))
    assert result.failure is FailureReason.INVALID_NUMBER


async def test_429_is_retried_then_the_call_goes_out_once(stack: Stack) -> None:
    stack.sandbox.fail_next(Fault.rate_limited())
    result = await stack.voice.send(make_page(1))
    assert result.accepted
    assert [r.status for r in stack.sandbox.requests] == [429, 201]
    assert len(stack.sandbox.calls) == 1


async def test_500_is_retried_with_backoff(stack: Stack) -> None:
    stack.sandbox.fail_next(Fault.server_error(500), count=2)
    result = await stack.voice.send(make_page(1))
    assert result.accepted
    assert [r.status for r in stack.sandbox.requests] == [500, 500, 201]


async def test_retries_give_up_after_the_policy_and_say_why(stack: Stack) -> None:
    stack.sandbox.fail_next(Fault.server_error(503), count=3)
    result = await stack.sms.send(make_page(1, channel=ChannelKind.SMS))
    assert (result.accepted, result.failure) == (False, FailureReason.PROVIDER_ERROR)
    assert len(stack.sandbox.requests) == 3  # FAST_RETRY.attempts
    stack.sandbox.fail_next(Fault.rate_limited(), count=10)
    result = await stack.sms.send(make_page(2, channel=ChannelKind.SMS))
    assert result.failure is FailureReason.RATE_LIMITED


async def test_a_hung_provider_times_out_within_the_configured_timeout(stack: Stack) -> None:
    stack.sandbox.fail_next(Fault.hang())
    started = time.monotonic()
    result = await stack.voice.send(make_page(1))
    elapsed = time.monotonic() - started
    assert (result.accepted, result.failure) == (False, FailureReason.TIMEOUT)
    assert 0.45 <= elapsed < 0.9  # timeout_seconds = 0.5; the client's own would be ignored
    # It reached Twilio, which may have acted on it: not sent again (no blind redial).
    assert len(stack.sandbox.requests) == 1


async def test_no_blind_redial_when_twilio_accepted_but_the_reply_was_lost(
    stack: Stack,
) -> None:
    stack.sandbox.fail_next(Fault.hang(accept=True))
    result = await stack.voice.send(make_page(1))
    assert result.failure is FailureReason.TIMEOUT
    assert result.detail is not None and "not retried" in result.detail
    await stack.sandbox.wait_idle()
    assert len(stack.sandbox.calls) == 1  # the person was rung exactly once
    assert len(stack.sandbox.requests) == 1


async def test_a_provider_that_is_down_is_retried_then_fails_without_raising(
    stack: Stack,
) -> None:
    settings = stack.config.twilio.model_copy(
        update={"api_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    client = make_client(settings, stack.sandbox.auth_token)
    notifier = VoiceNotifier(
        client,
        settings,
        public_url=stack.public_url,
        sample_plan=False,
        retry=RetryPolicy(attempts=2, base_delay=0.01),
    )
    try:
        result = await notifier.send(make_page(1))
    finally:
        await notifier.close()
    assert (result.accepted, result.failure) == (False, FailureReason.PROVIDER_ERROR)
    assert result.detail is not None and "could not connect" in result.detail


async def test_wrong_credentials_are_a_configuration_failure(stack: Stack) -> None:
    client = make_client(stack.config.twilio, "wrong-token")
    notifier = VoiceNotifier(
        client, stack.config.twilio, public_url=stack.public_url, sample_plan=False
    )
    try:
        result = await notifier.send(make_page(1))
    finally:
        await notifier.close()
    assert result.failure is FailureReason.CONFIG
    assert [r.status for r in stack.sandbox.requests] == [401]


async def test_a_page_for_another_channel_is_refused_not_raised(stack: Stack) -> None:
    result = await stack.voice.send(make_page(1, channel=ChannelKind.EMAIL))
    assert result.failure is FailureReason.CONFIG
    result = await stack.sms.send(make_page(1, channel=ChannelKind.VOICE))
    assert result.failure is FailureReason.CONFIG


async def test_many_pages_with_faults_all_get_an_answer(stack: Stack) -> None:
    stack.sandbox.fail_next(Fault.rate_limited(), count=5)
    stack.sandbox.fail_next(Fault.server_error(502), count=5)
    stack.sandbox.fail_next(Fault.twilio_error(21211), count=3)
    pages = [make_page(n, address=f"+81900123{n:04d}") for n in range(1, 31)]
    results = await asyncio.gather(*(stack.voice.send(p) for p in pages))
    assert len(results) == 30
    failed = [r for r in results if not r.accepted]
    assert all(r.failure is not None for r in failed)
    assert len(stack.sandbox.calls) == sum(r.accepted for r in results)


def test_classify_never_guesses_retry_for_unknown_errors() -> None:
    assert not classify(RuntimeError("boom")).retryable
    assert classify(RuntimeError("boom")).reason is FailureReason.PROVIDER_ERROR
