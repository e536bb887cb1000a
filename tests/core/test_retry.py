"""Reading ``Retry-After`` (every form a server sends) and the retry policy, without a server."""

from __future__ import annotations

import math

import pytest

from qwen_omni.client import OmniClient
from qwen_omni.errors import (
    APIConnectionError,
    APIProtocolError,
    APITimeoutError,
    BadRequestError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    StreamErrorEvent,
)
from qwen_omni.retry import RetryPolicy, is_transient, parse_retry_after


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "Thu, 01 Jan 1970 00:01:40 GMT"}, 60.0),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}, 0.0),
        ({"retry-after": "Thu, 01 Jan 1970 00:01:40 -0000"}, 60.0),
        ({"retry-after": "1e999"}, math.inf),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "Thu, 99 Foo 1970"}, None),
        ({}, None),
    ],
)
def test_every_form_of_retry_after_is_read_or_ignored(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers, now=40.0) == seconds


def test_no_headers_no_wait() -> None:
    assert parse_retry_after(None) is None


def test_the_policy_honours_a_wait_up_to_its_cap_and_refuses_a_longer_one() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay(0, retry_after=60.0) == 60.0
    assert policy.delay(0, retry_after=60.5) is None
    assert policy.delay(0, retry_after=math.inf) is None
    assert policy.delay(0, retry_after=0.0) == 0.0


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (APIConnectionError("broken"), True),
        (APIProtocolError("not JSON", status_code=200), True),
        (ServerError("boom", status_code=503), True),
        (RateLimitError("slow", status_code=429, code="limit_requests"), True),
        (RateLimitError("quota", status_code=429, code="insufficient_quota"), False),
        (BadRequestError("bad", status_code=400), False),
        (StreamErrorEvent("event", status_code=200), False),
        (APITimeoutError("late"), False),
    ],
)
def test_which_failures_are_worth_another_try(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_a_retry_count_that_is_not_a_whole_number_of_zero_or_more_is_refused(bad: object) -> None:
    with pytest.raises(InvalidRequestError, match=r"max_retries must be a whole number, 0 or more"):
        OmniClient(api_key="sk-test", max_retries=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="initial_delay must be a number of seconds"):
        RetryPolicy(initial_delay=-0.5)
