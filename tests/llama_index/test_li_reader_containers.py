"""``QwenOmniReader`` in LlamaIndex's own containers: an ``IngestionPipeline``'s ``ReaderConfig``, a
``SimpleDirectoryReader``'s ``file_extractor``, and ``to_dict`` / ``from_dict`` / ``to_json`` round trips that keep
every setting but the API key, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from emulator_support import EMULATOR_KEY
from llama_index.core import SimpleDirectoryReader
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.readers.base import BasePydanticReader, ReaderConfig

from llama_index_qwen_omni import QwenOmni, QwenOmniReader
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.errors import InvalidRequestError
from qwen_omni.face_kit import MediaLoaderConfig
from qwen_omni.longmedia import PlanOptions

MakeLLM = Callable[..., QwenOmni]


@pytest.fixture
def memo(tmp_path: Path) -> Path:
    path = tmp_path / "memo.wav"
    path.write_bytes(samples.tone_wav(3.0))
    return path


def test_an_ingestion_pipeline_reads_through_a_reader_config(make_llm: MakeLLM, emu: Emulator, memo: Path) -> None:
    reader = QwenOmniReader(make_llm(model="qwen-omni-turbo"))
    assert isinstance(reader, BasePydanticReader)
    pipeline = IngestionPipeline(readers=[ReaderConfig(reader=reader, reader_args=[str(memo)])], transformations=[])
    nodes = pipeline.run()
    assert [n.get_content() for n in nodes] == ["[00:00:00.000 --> 00:00:03.000] A voice at 440 Hz."]
    assert nodes[0].metadata["file_name"] == "memo.wav" and len(emu.requests) == 1
    assert pipeline.readers is not None and pipeline.readers[0].to_dict()["loader"]["class_name"] == "QwenOmniReader"


def test_a_directory_reader_uses_it_as_a_file_extractor(make_llm: MakeLLM, emu: Emulator, memo: Path) -> None:
    reader = QwenOmniReader(make_llm(model="qwen-omni-turbo"))
    documents = SimpleDirectoryReader(str(memo.parent), file_extractor={".wav": reader}).load_data()
    assert [d.text for d in documents] == ["[00:00:00.000 --> 00:00:03.000] A voice at 440 Hz."]
    assert documents[0].metadata["recording"] == "memo.wav"


def test_to_dict_and_from_dict_keep_every_setting_but_the_key(
    make_llm: MakeLLM, emu: Emulator, memo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make_llm(model="qwen-omni-turbo", temperature=0.3, enable_search=None, default_headers={"X-Team": "a"})
    config = MediaLoaderConfig(
        mode="custom", prompt="Who speaks?", documents="both", segment_seconds=30, retries=1, max_concurrency=2,
        plan_options=PlanOptions(overlap=1.5, snap=0.5), show_progress=False, on_error="skip",
    )  # fmt: skip
    reader = QwenOmniReader(llm, config=config)
    data = reader.to_dict()
    text = reader.to_json()
    assert EMULATOR_KEY not in text and "api_key" not in data["llm"]
    assert json.loads(text) == data and data["class_name"] == "QwenOmniReader"
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)  # the key comes back from the environment
    for clone in (QwenOmniReader.from_dict(data), QwenOmniReader.from_json(text)):
        assert clone.config == config and clone.config.plan == config.plan
        assert clone.llm.temperature == 0.3 and clone.llm.default_headers == {"X-Team": "a"}
        assert clone.llm.base_url == emu.base_url and clone.llm.model == "qwen-omni-turbo"
        assert [d.text for d in clone.load_data(str(memo))] == [d.text for d in reader.load_data(str(memo))]
    assert QwenOmniReader.from_dict(data, is_remote=True).is_remote is True  # from_dict's overrides, as LlamaIndex's


def test_settings_are_one_config_object_or_its_keywords_never_both(make_llm: MakeLLM) -> None:
    llm = make_llm()
    assert QwenOmniReader(llm, mode="summary").config == QwenOmniReader(llm, config=MediaLoaderConfig("summary")).config
    with pytest.raises(InvalidRequestError, match="not both"):
        QwenOmniReader(llm, config=MediaLoaderConfig(), mode="summary")
    with pytest.raises(InvalidRequestError, match="unknown settings segmnt_seconds"):
        QwenOmniReader(model="qwen3-omni-flash", segmnt_seconds=60)
    with pytest.raises(InvalidRequestError, match="max_concurrency must be at least 1"):
        QwenOmniReader(llm, max_concurrency=0)
