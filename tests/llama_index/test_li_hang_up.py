"""QwenOmni's streams hang up the moment they are closed, sync and async, with nothing logged."""

from __future__ import annotations

import asyncio
import logging

import pytest
from llama_index.core.llms import ChatMessage

from llama_index_qwen_omni import QwenOmni
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import Delivery

MESSAGES = [ChatMessage(role="user", content="Hello there my friend, how are you today?")]


def _hung_up(emu: Emulator) -> Delivery:
    request = emu.last_request
    assert request is not None and request.delivery is not None
    return request.delivery


def _check(delivery: Delivery) -> None:
    assert delivery.wait(5.0)
    assert delivery.state == "disconnected" and delivery.sent < delivery.planned


def test_closing_stream_chat_hangs_up(llm: QwenOmni, emu: Emulator) -> None:
    emu.inject(Fault(chunk_delay=0.2))
    stream = llm.stream_chat(MESSAGES)
    next(stream)
    stream.close()
    _check(_hung_up(emu))


def test_breaking_out_of_stream_complete_hangs_up(llm: QwenOmni, emu: Emulator) -> None:
    emu.inject(Fault(chunk_delay=0.2))
    for _ in llm.stream_complete("Hello there my friend, how are you today?"):
        break
    _check(_hung_up(emu))


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_aclose_on_astream_chat_hangs_up_and_logs_nothing(
    llm: QwenOmni, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject(Fault(chunk_delay=0.2))
    with caplog.at_level(logging.WARNING):
        stream = await llm.astream_chat(MESSAGES)
        await stream.__anext__()
        await stream.aclose()
        delivery = _hung_up(emu)
        await asyncio.to_thread(delivery.wait, 5.0)
    _check(delivery)
    assert not caplog.records


async def test_cancelling_astream_chat_hangs_up(llm: QwenOmni, emu: Emulator) -> None:
    emu.inject(Fault(chunk_delay=0.2))
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in await llm.astream_chat(MESSAGES):
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    delivery = _hung_up(emu)
    await asyncio.to_thread(delivery.wait, 5.0)
    _check(delivery)
