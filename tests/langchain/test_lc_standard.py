"""LangChain's standard test suites for ``ChatQwenOmni``: unit tests, and integration tests against the emulator.

The flags say what Qwen-Omni does. Two standard tests are expected failures, each with its reason: one asks for a
tool choice the API cannot express, one for a loader rule of langchain-core. ``TestChatQwenOmniLive`` runs the whole
suite against DashScope when ``DASHSCOPE_API_KEY`` is set and ``QWEN_OMNI_LIVE=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni import samples
from qwen_omni.emulator import Emulator, schema_answer


class _Flags:
    """What Qwen-Omni supports, shared by the suites below."""

    @property
    def chat_model_class(self) -> type[ChatQwenOmni]:
        return ChatQwenOmni

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False  # the API takes media in user messages only

    @property
    def model_override_value(self) -> str:
        return "qwen3-omni-flash"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        details = ["audio_input", "audio_output", "reasoning_output"]
        return {"invoke": details, "stream": details}


class TestChatQwenOmniUnit(_Flags, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen3.5-omni-flash"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"DASHSCOPE_API_KEY": "sk-from-env"},
            {"model": "qwen3-omni-flash"},
            {"api_key": "sk-from-env", "model": "qwen3-omni-flash"},
        )

    @pytest.mark.xfail(
        reason="langchain-core 1.7's load(allowed_objects='all') admits only the classes in its own mapping of partner "
        "packages, so the standard body cannot load any other package's class; test_lc_chat_model.py "
        "::test_dumpd_load_round_trip does the same round trip with allowed_objects=[ChatQwenOmni]",
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)


class _Integration(_Flags, ChatModelIntegrationTests):
    """The integration suite, with its downloads of sample media replaced by the package's own samples."""

    @pytest.fixture(autouse=True)
    def _local_media(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import langchain_tests.integration_tests.chat_models as suite

        class _Response:
            def __init__(self, url: str) -> None:
                self.content = samples.tone_wav(1.0) if url.endswith(".wav") else samples.image_png(96, 64)

        monkeypatch.setattr(suite.httpx, "get", lambda url, **_: _Response(url))
        monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "qwen-omni-tests (nothing is downloaded)")

    @pytest.mark.xfail(
        reason="Qwen-Omni's tool_choice is auto, none or one named function: 'any' over two tools is refused "
        "before sending (the test binds two tools with tool_choice='any')",
        strict=True,
    )
    def test_tool_choice(self, model: ChatQwenOmni) -> None:
        super().test_tool_choice(model)

    def _invoke(self, model: ChatQwenOmni, message: BaseMessage, *, stream: bool) -> AIMessage:
        if not stream:
            return model.invoke([message])
        full: AIMessageChunk | None = None
        for chunk in model.stream([message]):
            full = chunk if full is None else full + chunk
        assert full is not None
        return full

    def invoke_with_audio_input(self, *, stream: bool = False) -> AIMessage:
        block = {"type": "audio", "base64": _b64(samples.tone_wav(1.0)), "mime_type": "audio/wav"}
        message = HumanMessage([{"type": "text", "text": "What do you hear?"}, block])
        return self._invoke(self.chat_model_class(**self.chat_model_params), message, stream=stream)

    def invoke_with_audio_output(self, *, stream: bool = False) -> AIMessage:
        model = self.chat_model_class(**self.chat_model_params, modalities=["text", "audio"])
        return self._invoke(model, HumanMessage("Say hello."), stream=stream)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        params = {**self.chat_model_params, "model": "qwen3-omni-flash", "enable_thinking": True}
        return self._invoke(self.chat_model_class(**params), HumanMessage("Why is the sky blue?"), stream=stream)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


class TestChatQwenOmniIntegration(_Integration):
    """The standard integration suite against the in-process emulator."""

    @pytest.fixture(autouse=True)
    def _emulator(self, emulator: Emulator) -> Iterator[None]:
        # the suite's JSON-mode test expects an answer that fits the schema in its prompt: opted into here, since
        # the emulator's own JSON answer ignores schemas as a careless model does (tests/langchain/test_lc_structured.py
        # holds the structured output to its schema against such answers)
        self._base_url = emulator.base_url
        with emulator.answering(schema_answer):
            yield

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen3.5-omni-flash", "base_url": self._base_url, "api_key": EMULATOR_KEY}


@pytest.mark.live
class TestChatQwenOmniLive(_Integration):
    """The whole standard integration suite against the real DashScope service."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "qwen3.5-omni-flash"}
