"""qwen3.8-omni-flash through QwenOmni: text only, thinking by default."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock

from llama_index_qwen_omni import QwenOmni
from qwen_omni.errors import CapabilityError

MODEL = "qwen3.8-omni-flash"
HI = [ChatMessage(role="user", content="Hi")]


def test_answers_in_text_with_thinking(make_llm: Callable[..., QwenOmni]) -> None:
    llm = make_llm(model=MODEL)
    response = llm.chat(HI)
    assert isinstance(response.message.blocks[0], ThinkingBlock) and response.message.content
    assert llm.metadata.context_window == 1_000_000 and llm.metadata.is_function_calling_model


def test_a_spoken_answer_is_refused_before_sending(make_llm: Callable[..., QwenOmni]) -> None:
    with pytest.raises(CapabilityError, match="answers in text only"):
        make_llm(model=MODEL, modalities=["text", "audio"]).chat(HI)
