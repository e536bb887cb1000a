"""Token counts without downloads: both faces estimate offline, in a fresh interpreter where neither
``transformers`` nor ``tiktoken`` can be imported, and count media at the rates the reference documents.

The expected figures are written from the reference (Qwen-Omni guide, "Token math"): audio input 7 tokens a second
on Qwen3.5-Omni, 12.5 on qwen3-omni-flash, 25 on qwen-omni-turbo; an image one token per 32x32 pixels (28x28 on
turbo), at least 24 on Qwen3.5-Omni; text about four characters a token (the estimate documented in
``qwen_omni/prompt_tokens.py``, not a tokenizer's count).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

HIDE = textwrap.dedent(
    """
    import sys

    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"transformers", "tiktoken", "tokenizers"}:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    """
)

COUNT = textwrap.dedent(
    """
    import base64, json
    from langchain_core.messages import HumanMessage, SystemMessage
    from llama_index.core.llms import AudioBlock, ChatMessage, ImageBlock, TextBlock
    from langchain_qwen_omni import ChatQwenOmni
    from llama_index_qwen_omni import QwenOmni
    from qwen_omni import samples

    def b64(data):
        return base64.b64encode(data).decode()

    wav, png = samples.tone_wav(10.0), samples.image_png(64, 48)
    text = "Transcribe."  # 11 characters
    out = {}
    for model in ("qwen3.5-omni-flash", "qwen3-omni-flash", "qwen-omni-turbo"):
        chat = ChatQwenOmni(model=model, api_key="sk-offline")
        llm = QwenOmni(model=model, api_key="sk-offline")
        audio = {"type": "audio", "base64": b64(wav), "mime_type": "audio/wav"}
        image = {"type": "image", "base64": b64(png), "mime_type": "image/png"}
        out[model] = {
            "lc_text": chat.get_num_tokens("How long is this recording?"),
            "lc_audio": chat.get_num_tokens_from_messages([HumanMessage([audio, {"type": "text", "text": text}])]),
            "lc_image": chat.get_num_tokens_from_messages([HumanMessage([image])]),
            "lc_url_audio": chat.get_num_tokens_from_messages(
                [HumanMessage([{"type": "audio", "url": "https://example.com/call.mp3"}])]),
            "lc_system": chat.get_num_tokens_from_messages([SystemMessage("Be brief."), HumanMessage("Hello there!")]),
            "li_audio": llm.count_tokens(
                [ChatMessage(role="user", blocks=[AudioBlock(audio=wav, format="wav"), TextBlock(text=text)])]),
            "li_image": llm.count_tokens([ChatMessage(role="user", blocks=[ImageBlock(image=png)])]),
            "li_tokenizer": len(llm.tokenizer("How long is this recording?")),
        }
    import sys
    out["blocked"] = "transformers" not in sys.modules and "tiktoken" not in sys.modules
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def counts() -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-c", HIDE + COUNT], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


#: seconds of audio times the documented rate, plus ceil(11 / 4) = 3 tokens of text
AUDIO_RATE = {"qwen3.5-omni-flash": 7.0, "qwen3-omni-flash": 12.5, "qwen-omni-turbo": 25.0}
#: a 64x48 image: ceil(64/32) * ceil(48/32) = 4 patches (turbo: 3 * 2 = 6), at least 24 on Qwen3.5-Omni
IMAGE = {"qwen3.5-omni-flash": 24, "qwen3-omni-flash": 4, "qwen-omni-turbo": 6}
#: a URL is never fetched: it counts as the longest audio file the model takes (3 h, 20 min, 3 min)
LONGEST_AUDIO_SECONDS = {"qwen3.5-omni-flash": 3 * 3600, "qwen3-omni-flash": 20 * 60, "qwen-omni-turbo": 3 * 60}


def test_nothing_is_imported_or_downloaded(counts: dict[str, Any]) -> None:
    assert counts["blocked"] is True


@pytest.mark.parametrize("model", list(AUDIO_RATE))
def test_text_is_four_characters_a_token(counts: dict[str, Any], model: str) -> None:
    assert counts[model]["lc_text"] == 7 == counts[model]["li_tokenizer"]  # 27 characters
    assert counts[model]["lc_system"] == 6  # "Be brief." + "Hello there!": 21 characters, counted once


@pytest.mark.parametrize("model", list(AUDIO_RATE))
def test_an_audio_part_counts_at_the_documented_rate(counts: dict[str, Any], model: str) -> None:
    expected = round(10 * AUDIO_RATE[model]) + 3
    assert counts[model]["lc_audio"] == expected == counts[model]["li_audio"]
    assert counts[model]["lc_url_audio"] == round(LONGEST_AUDIO_SECONDS[model] * AUDIO_RATE[model])


@pytest.mark.parametrize("model", list(AUDIO_RATE))
def test_an_image_counts_by_its_patches(counts: dict[str, Any], model: str) -> None:
    assert counts[model]["lc_image"] == IMAGE[model] == counts[model]["li_image"]
