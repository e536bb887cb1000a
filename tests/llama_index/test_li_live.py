"""A few calls to the real DashScope service (skipped unless DASHSCOPE_API_KEY is set and QWEN_OMNI_LIVE=1)."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import AudioBlock, ChatMessage, ImageBlock, TextBlock

from llama_index_qwen_omni import QwenOmni

pytestmark = pytest.mark.live

PHOTO = "https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg"


def test_live_image_question_and_spoken_answer() -> None:
    llm = QwenOmni(model="qwen3.5-omni-flash", modalities=["text", "audio"])
    message = ChatMessage(role="user", blocks=[ImageBlock(url=PHOTO), TextBlock(text="What animal is in the picture?")])
    chunks = list(llm.stream_chat([message]))
    final = chunks[-1]
    assert "dog" in (final.message.content or "").lower()
    assert any(isinstance(b, AudioBlock) for b in final.message.blocks)
    assert final.raw["usage"]["completion_tokens"] > 0
