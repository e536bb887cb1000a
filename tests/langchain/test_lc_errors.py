"""ChatQwenOmni's errors are both ours and langchain-core's standard types; its streams hang up when closed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from emulator_support import EMULATOR_KEY
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelRefusalError,
    ModelTimeoutError,
    OutputParserException,
)

from langchain_qwen_omni import ChatQwenOmni, QwenOmniRateLimitError
from langchain_qwen_omni.errors import to_langchain_error
from qwen_omni import errors as core
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import Delivery

PROMPT = "Hello there my friend, how are you today?"
OVERFLOW = "Range of input length should be [1, 65536]"

CASES: list[tuple[Fault, type[Exception], type[Exception]]] = [
    (Fault(status=429), core.RateLimitError, ModelRateLimitError),
    (Fault(status=401), core.AuthenticationError, ModelAuthenticationError),
    (Fault(status=403), core.PermissionDeniedError, ModelPermissionDeniedError),
    (Fault(status=404), core.NotFoundError, ModelNotFoundError),
    (Fault(status=400), core.BadRequestError, ModelInvalidRequestError),
    (Fault(status=400, message=OVERFLOW), core.BadRequestError, ContextOverflowError),
    (Fault(code="data_inspection_failed"), core.ContentModerationError, ModelRefusalError),
    (Fault(error_event_after=2), core.StreamModerationError, ModelRefusalError),
    (Fault(error_event_after=2, code="InternalError"), core.StreamErrorEvent, ModelAPIError),
    (Fault(status=503), core.ServerError, ModelAPIError),
    (Fault(status=502, html=True), core.ServerError, ModelAPIError),
    (Fault(cut_after=3), core.APIConnectionError, ModelConnectionError),
    (Fault(reset=True), core.APIConnectionError, ModelConnectionError),
    (Fault(malformed_after=3), core.APIProtocolError, ModelAPIError),
    (Fault(end_early_after=3), core.IncompleteResponseError, ModelAPIError),
    (Fault(byte_delay=0.01), core.APITimeoutError, ModelTimeoutError),
]


def _call(llm: ChatQwenOmni, how: str) -> Any:
    if how == "invoke":
        return llm.invoke(PROMPT)
    if how == "stream":
        return list(llm.stream(PROMPT))

    async def run() -> Any:
        return [chunk async for chunk in llm.astream(PROMPT)]

    return asyncio.run(run())


@pytest.mark.parametrize("how", ["invoke", "stream", "astream"])
@pytest.mark.parametrize(("fault", "ours", "standard"), CASES, ids=[repr(c[0]) for c in CASES])
def test_errors_are_ours_and_langchains(
    make_llm: Callable[..., ChatQwenOmni],
    emu: Emulator,
    how: str,
    fault: Fault,
    ours: type[Exception],
    standard: type[Exception],
) -> None:
    emu.inject(fault)
    with pytest.raises(ours) as info:
        _call(make_llm(timeout=0.5), how)
    assert isinstance(info.value, standard)
    assert str(info.value), "the message survives the conversion"


def test_attributes_survive_the_conversion(make_llm: Callable[..., ChatQwenOmni], emu: Emulator) -> None:
    emu.inject(Fault(status=429, retry_after=120))
    with pytest.raises(QwenOmniRateLimitError) as info:
        make_llm(max_retries=2).invoke("Hello")
    error = info.value
    assert (error.status_code, error.code, error.retry_after) == (429, "limit_requests", 120.0)
    assert error.request_id and error.request_id in str(error)
    assert error.is_retryable
    assert len(emu.requests) == 1, "a wait over the cap is raised, not retried early"


@pytest.mark.parametrize(
    ("kwargs", "ours"),
    [
        ({"enable_thinking": True}, core.CapabilityError),
        ({"max_tokens": -1}, core.LimitExceededError),
        ({"temperature": 5.0}, core.InvalidRequestError),
    ],
)
def test_bad_input_is_a_model_invalid_request_error(
    llm: ChatQwenOmni, emu: Emulator, kwargs: dict[str, Any], ours: type[Exception]
) -> None:
    with pytest.raises(ours) as info:
        llm.invoke("Hello", **kwargs)
    assert isinstance(info.value, ModelInvalidRequestError) and isinstance(info.value, ValueError)
    assert emu.requests == [], "refused before sending"


def test_bind_tools_on_a_model_without_tools(llm: ChatQwenOmni) -> None:
    with pytest.raises(core.CapabilityError) as info:
        llm.bind_tools([{"type": "function", "function": {"name": "f", "parameters": {}}}], model="qwen-omni-turbo")
    assert isinstance(info.value, ModelInvalidRequestError)


def test_a_missing_key_is_an_authentication_error(emu: Emulator) -> None:
    llm = ChatQwenOmni(base_url=emu.base_url)
    with pytest.raises(core.MissingAPIKeyError) as info:
        llm.invoke("Hello")
    assert isinstance(info.value, ModelAuthenticationError)


class _Errors(BaseCallbackHandler):
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.errors.append(error)


def test_the_run_error_holds_no_key(make_llm: Callable[..., ChatQwenOmni], emu: Emulator) -> None:
    emu.inject(Fault(echo_authorization=True))
    handler = _Errors()
    with pytest.raises(core.AuthenticationError):
        make_llm().invoke("Hello", config={"callbacks": [handler]})
    (error,) = handler.errors
    assert isinstance(error, ModelError)
    carried = [str(error), repr(error), repr(vars(error)), repr(error.__cause__), repr(error.__context__)]
    assert EMULATOR_KEY not in "\n".join(carried)


# ------------------------------------------------------------------------------------------ hanging up


def _hung_up(delivery: Delivery | None) -> None:
    assert delivery is not None and delivery.wait(5.0)
    assert delivery.state == "disconnected" and delivery.sent < delivery.planned


def test_closing_a_stream_hangs_up(llm: ChatQwenOmni, emu: Emulator) -> None:
    emu.inject(Fault(chunk_delay=0.2))
    stream = llm.stream("Hello there my friend, how are you today?")
    next(stream)
    stream.close()
    _hung_up(emu.last_request.delivery if emu.last_request else None)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_aclose_on_astream_hangs_up_and_logs_nothing(
    llm: ChatQwenOmni, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):  # the old failure ("aclose(): asynchronous generator is already running") was 9 in 10
        emu.reset()
        emu.inject(Fault(chunk_delay=0.2))
        with caplog.at_level(logging.WARNING):
            stream = llm.astream("Hello there my friend, how are you today?")
            await stream.__anext__()
            await stream.__anext__()
            await stream.aclose()
            delivery = emu.last_request.delivery if emu.last_request else None
            assert delivery is not None
            await asyncio.to_thread(delivery.wait, 5.0)
        _hung_up(delivery)
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def _core_error_classes() -> list[type[core.QwenOmniError]]:
    found = [c for c in vars(core).values() if isinstance(c, type) and issubclass(c, core.QwenOmniError)]
    # The base class is abstract in practice, a missing extra is raised at import, before any model exists, and a
    # failed segment or load comes from the long-media pipeline and its faces, never from a chat model.
    never = (core.QwenOmniError, core.MissingExtraError, core.SegmentFailedError, core.LoadFailedError)
    return [c for c in found if c not in never]


@pytest.mark.parametrize("cls", _core_error_classes(), ids=lambda c: c.__name__)
def test_every_core_error_keeps_its_class_and_gains_a_langchain_type(cls: type[core.QwenOmniError]) -> None:
    if cls is core.MissingAPIKeyError:
        error = cls()
    elif cls is core.StructuredOutputError:
        error = cls("something went wrong", raw='{"a": 1}', errors=("b: Field required",))
    else:
        error = cls("something went wrong")
    converted = to_langchain_error(error)
    assert isinstance(converted, cls), f"{cls.__name__} lost its class in the conversion"
    # a structured answer that does not fit is LangChain's parse error, every other failure one of its model errors
    twin = OutputParserException if cls is core.StructuredOutputError else ModelError
    assert isinstance(converted, twin), f"{cls.__name__} has no langchain-core twin"
    assert str(converted) == str(error)
    if isinstance(converted, OutputParserException):
        assert converted.llm_output == '{"a": 1}' and converted.errors == ("b: Field required",)
