"""Alibaba's Qwen-Omni models (text, image, audio and video in; text and speech out) for LangChain.

Example:
    >>> from qwen_omni.emulator import Emulator
    >>> from langchain_qwen_omni import ChatQwenOmni
    >>> with Emulator() as emu:  # offline; drop base_url and set DASHSCOPE_API_KEY for the real service
    ...     llm = ChatQwenOmni(model="qwen3.5-omni-flash", base_url=emu.base_url, api_key="sk-test")
    ...     llm.invoke("Hello!").content
    'Received the text "Hello!".'
"""

from .audio import audio_pcm, audio_wav
from .chat_models import ChatQwenOmni
from .tools import QwenOmniMediaTool

__all__ = ["ChatQwenOmni", "QwenOmniMediaTool", "audio_pcm", "audio_wav"]
