"""qwen3.8-omni-flash through ChatQwenOmni: text only, thinking by default, its profile as LangChain sees it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import CapabilityError

MODEL = "qwen3.8-omni-flash"


def test_answers_in_text_with_reasoning(
    make_llm: Callable[..., ChatQwenOmni], last: Callable[[], ReceivedRequest]
) -> None:
    llm = make_llm(model=MODEL, temperature=1)
    message = llm.invoke("Why is the sky blue?")
    assert message.content and message.additional_kwargs["reasoning_content"]
    assert message.content_blocks[0]["type"] == "reasoning"
    payload = last().payload or {}
    assert payload["model"] == MODEL and isinstance(payload["temperature"], float)
    assert llm.profile is not None and llm.profile["audio_outputs"] is False and llm.profile["reasoning_output"]
    assert llm.profile["max_output_tokens"] == 131_072


def test_a_spoken_answer_is_refused_before_sending(
    make_llm: Callable[..., ChatQwenOmni], last: Callable[[], ReceivedRequest]
) -> None:
    with pytest.raises(CapabilityError, match="answers in text only"):
        make_llm(model=MODEL, modalities=["text", "audio"]).invoke("Say hi")
    with pytest.raises(AssertionError, match="no request"):
        last()
