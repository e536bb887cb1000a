"""Qwen-Omni for LlamaIndex: the ``QwenOmni`` LLM, the ``QwenOmniReader`` for recordings and images of any length,
``media_tool`` for agents, and ``QwenOmniVoiceAgent`` for live voice (Qwen-Omni Realtime).

Example:
    >>> from llama_index_qwen_omni import QwenOmni
    >>> llm = QwenOmni(model="qwen3.5-omni-flash")  # DASHSCOPE_API_KEY is read at the first call
    >>> # print(llm.complete("Hello!"))
"""

from qwen_omni.extras import require

require("llama_index.core", extra="llama-index", needed_by="llama_index_qwen_omni")

from ._convert import FRAMES_MIMETYPE, video_frames_block  # noqa: E402
from .errors import QwenOmniOutputParserError  # noqa: E402
from .llm import QwenOmni  # noqa: E402
from .reader import QwenOmniReader  # noqa: E402
from .tokenizer import QwenOmniTokenizer  # noqa: E402
from .tools import media_tool  # noqa: E402
from .voice_agent import QwenOmniVoiceAgent  # noqa: E402
from .voice_agent_interface import AudioFileInterface  # noqa: E402

__all__ = [
    "FRAMES_MIMETYPE",
    "AudioFileInterface",
    "QwenOmni",
    "QwenOmniOutputParserError",
    "QwenOmniReader",
    "QwenOmniTokenizer",
    "QwenOmniVoiceAgent",
    "media_tool",
    "video_frames_block",
]
