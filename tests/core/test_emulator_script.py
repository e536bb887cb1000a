"""The emulator's answer hook (``Emulator(answer=...)``, ``emu.answering(...)``, ``--answer module:function``),
through our client over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qwen_omni import Message, OmniClient
from qwen_omni.emulator import Emulator, ScriptedAnswer, ScriptedToolCall, ScriptRequest, schema_answer
from qwen_omni.emulator.__main__ import load_answer
from qwen_omni.emulator.__main__ import main as emulator_main
from qwen_omni.errors import CapabilityError, ServerError
from qwen_omni.parts import ImagePart, TextPart
from qwen_omni.samples import image_png

FLASH = "qwen3.5-omni-flash"


def function(name: str, **properties: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": properties}}}


WEATHER = function("get_weather", city={"type": "string"})
TIME = function("get_time", timezone={"type": "string"})


@pytest.fixture
def client(emu: Emulator) -> Iterator[OmniClient]:
    emu.reset()
    with OmniClient(api_key="sk-any", base_url=emu.base_url, max_retries=0) as omni:
        yield omni


def test_a_string_is_the_text_answer_streamed_with_usage(emu: Emulator, client: OmniClient) -> None:
    seen: list[ScriptRequest] = []

    def answer(request: ScriptRequest) -> str:
        seen.append(request)
        return "Scripted answer with five words."

    with emu.answering(answer):
        result = client.complete("What is this?", model=FLASH)
    assert result.text == "Scripted answer with five words." and result.finish_reason == "stop"
    assert result.usage is not None and result.usage.completion_tokens_details["text_tokens"] == 5
    (request,) = seen
    assert (request.model, request.text, request.tools, request.thinking) == (FLASH, "What is this?", (), False)
    assert request.messages[-1] == {"role": "user", "content": "What is this?"}
    assert request.payload["model"] == FLASH and emu.requests[-1].status == 200


def test_the_request_view_holds_parts_tools_and_the_last_turns_tool_results(emu: Emulator) -> None:
    seen: list[ScriptRequest] = []
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny"},
    ]
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    messages[0]["content"].append(image)  # type: ignore[attr-defined]
    with emu.answering(lambda request: seen.append(request) or "ok"):  # type: ignore[func-returns-value]
        body = {"model": FLASH, "stream": True, "messages": messages, "tools": [WEATHER, TIME]}
        response = httpx.post(emu.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer k"})
    assert response.status_code == 200
    (request,) = seen
    assert request.tool_names == ["get_weather", "get_time"] and request.tool_choice == "auto"
    assert [(r.call_id, r.name, r.content) for r in request.tool_results] == [("c1", "get_weather", "Sunny")]
    assert [(p.kind, p.url) for p in request.parts] == [("image", "https://example.com/cat.png")]


def test_one_tool_call_and_parallel_calls(emu: Emulator, client: OmniClient) -> None:
    with emu.answering(lambda request: ScriptedToolCall("get_weather", {"city": "Zürich"})):
        one = client.complete("Weather?", model=FLASH, tools=[WEATHER, TIME])
    assert [(c.name, c.arguments) for c in one.tool_calls] == [("get_weather", {"city": "Zürich"})]
    assert one.finish_reason == "tool_calls" and one.text == ""
    both = [ScriptedToolCall("get_weather", {"city": "Oslo"}), ScriptedToolCall("get_time", '{"timezone": "UTC"}')]
    with emu.answering(lambda request: both):
        two = client.complete("Both?", model=FLASH, tools=[WEATHER, TIME], parallel_tool_calls=True)
    assert [(c.name, c.arguments) for c in two.tool_calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_time", {"timezone": "UTC"}),
    ]
    assert len({c.id for c in two.tool_calls}) == 2
    payload = emu.requests[-1].payload
    assert payload is not None and payload["parallel_tool_calls"] is True


def test_a_spoken_answer_when_the_request_asks_for_audio(emu: Emulator, client: OmniClient) -> None:
    with emu.answering(lambda request: "Hello there."):
        spoken = client.complete("Say hello", model=FLASH, modalities=["text", "audio"])
        silent = client.complete("Say hello", model=FLASH, modalities=["text", "audio"])
    assert spoken.text == "Hello there." and spoken.audio_seconds == pytest.approx(0.6)
    assert silent.audio  # the same script speaks each time audio is asked for
    with emu.answering(lambda request: ScriptedAnswer(text="Text only.", audio=False)):
        text_only = client.complete("Say hello", model=FLASH, modalities=["text", "audio"])
    assert text_only.text == "Text only." and not text_only.audio


def test_reasoning_is_streamed_when_thinking_is_on(emu: Emulator, client: OmniClient) -> None:
    def answer(request: ScriptRequest) -> ScriptedAnswer:
        return ScriptedAnswer(text="Paris.", reasoning="France's capital is Paris, I recall.")

    with emu.answering(answer):
        thinking = client.complete("Capital of France?", model="qwen3-omni-flash", enable_thinking=True)
        plain = client.complete("Capital of France?", model="qwen3-omni-flash")
        budget = client.complete("Hi", model="qwen3-omni-flash", enable_thinking=True, thinking_budget=2)
    assert (thinking.text, thinking.reasoning) == ("Paris.", "France's capital is Paris, I recall.")
    assert thinking.usage is not None and thinking.usage.completion_tokens_details["reasoning_tokens"] == 6
    assert (plain.text, plain.reasoning) == ("Paris.", "")
    assert budget.reasoning == "France's capital"
    with emu.answering(lambda request: "Paris."):
        default = client.complete("Capital?", model="qwen3-omni-flash", enable_thinking=True)
    assert default.reasoning.startswith("The user sent 0 media parts")  # no reasoning given: the emulator's own


def test_a_mapping_is_a_json_answer_and_stop_and_max_tokens_still_cut(emu: Emulator, client: OmniClient) -> None:
    with emu.answering(lambda request: {"city": "Wien", "population": 2}):
        result = client.complete("JSON please", model=FLASH, response_format={"type": "json_object"})
    assert json.loads(result.text) == {"city": "Wien", "population": 2}
    with emu.answering(lambda request: "one two three four five. six"):
        cut = client.complete("Count", model=FLASH, max_tokens=3)
        stopped = client.complete("Count", model=FLASH, stop=["."])
    assert (cut.text, cut.finish_reason) == ("one two three", "length")
    assert (stopped.text, stopped.finish_reason) == ("one two three four five", "stop")
    with emu.answering(lambda request: ScriptedAnswer(text="Cut short", finish_reason="length")):
        assert client.complete("Count", model=FLASH).finish_reason == "length"


def test_none_leaves_a_request_to_the_emulators_own_answer(emu: Emulator, client: OmniClient) -> None:
    with emu.answering(lambda request: "Scripted." if "script" in request.text else None):
        assert client.complete("script me", model=FLASH).text == "Scripted."
        assert client.complete("Hello", model=FLASH).text == 'Received the text "Hello".'


PET = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def test_schema_answer_is_the_opt_in_answer_that_fits_the_schema(emu: Emulator, client: OmniClient) -> None:
    system = Message("system", f"Reply in JSON following {json.dumps(PET)}")
    with emu.answering(schema_answer):
        fitting = client.complete([system, Message("user", "My cat 'Tom' is 3")], model=FLASH,
                                  response_format={"type": "json_object"})  # fmt: skip
        by_format = client.complete(
            "Name 'Rex', 5 years", model=FLASH,
            response_format={"type": "json_schema", "json_schema": {"name": "Pet", "schema": PET}},
        )  # fmt: skip
        plain = client.complete("Hello", model=FLASH)
        called = client.complete("Weather in Paris? json", model=FLASH, tools=[WEATHER],
                                 response_format={"type": "json_object"})  # fmt: skip
    assert json.loads(fitting.text) == {"name": "Tom", "age": 3}
    assert json.loads(by_format.text) == {"name": "Rex", "age": 5}
    assert plain.text == 'Received the text "Hello".'  # not a JSON request: the emulator's own answer
    assert [c.name for c in called.tool_calls] == ["get_weather"]  # tools first, as an agent's model would
    # without the opt-in, the emulator answers JSON mode as a model that ignored the schema
    careless = client.complete([system, Message("user", "My cat 'Tom' is 3")], model=FLASH,
                               response_format={"type": "json_object"})  # fmt: skip
    assert json.loads(careless.text) == {"answer": "Received the text \"My cat 'Tom' is 3\"."}


async def test_an_async_answer_function_is_awaited(emu: Emulator, client: OmniClient) -> None:
    async def answer(request: ScriptRequest) -> str:
        return f"Async answer to {request.text}"

    with emu.answering(answer):
        result = await client.acomplete("Hi", model=FLASH)
    assert result.text == "Async answer to Hi"


def test_checks_run_before_the_script(emu: Emulator, client: OmniClient) -> None:
    called: list[ScriptRequest] = []
    body = {"model": FLASH, "messages": [{"role": "user", "content": "Hi"}]}  # no stream: refused
    with emu.answering(lambda request: called.append(request) or "never"):  # type: ignore[func-returns-value]
        response = httpx.post(emu.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer k"})
        with pytest.raises(CapabilityError):  # our own check, before sending
            client.complete("Hi", model="qwen-omni-turbo", enable_thinking=True)
    assert response.status_code == 400 and "only support with stream=true" in response.text
    assert called == []


def fail(request: ScriptRequest) -> str:
    raise KeyError("no answer for " + request.text)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (fail, "KeyError: 'no answer for Hi'"),
        (lambda request: 42, "ScriptError: The answer function returned int; return a str"),
        (lambda request: ScriptedToolCall("get_news"), "'get_news', which the request does not declare"),
        (lambda request: ScriptedToolCall("get_time", arguments=3), "must be a dict or a JSON str"),  # type: ignore[arg-type]
        (lambda request: ScriptedAnswer(text="x", tool_calls=[ScriptedToolCall("get_time")]), "not both"),
    ],
)
def test_a_failing_script_gets_a_500_that_names_the_error(
    emu: Emulator, client: OmniClient, script: Any, expected: str
) -> None:
    with emu.answering(script), pytest.raises(ServerError) as info:
        client.complete("Hi", model=FLASH, tools=[TIME])
    assert info.value.status_code == 500 and expected in str(info.value)
    record = emu.requests[-1]
    assert (record.status, record.error_code) == (500, "InternalError")
    assert record.error_message is not None and expected in record.error_message
    with emu.answering(lambda request: "fine"):  # the server lives on
        assert client.complete("Hi", model=FLASH).text == "fine"


def test_a_long_error_message_is_shortened(emu: Emulator) -> None:
    def verbose(request: ScriptRequest) -> str:
        raise ValueError("x" * 5000)

    body = {"model": FLASH, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    with emu.answering(verbose):
        response = httpx.post(emu.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer k"})
    error = response.json()["error"]
    assert response.status_code == 500 and error["code"] == "InternalError"
    assert error["message"].startswith("The emulator's answer function failed: ValueError: xxx")
    assert error["message"].endswith("...") and len(error["message"]) < 400


def test_answering_restores_the_previous_answer_even_on_error(emu: Emulator, client: OmniClient) -> None:
    def inner() -> None:
        with emu.answering(lambda request: "inner"):
            assert client.complete("Hi", model=FLASH).text == "inner"
            raise RuntimeError

    with emu.answering(lambda request: "outer"):
        with pytest.raises(RuntimeError):
            inner()
        assert client.complete("Hi", model=FLASH).text == "outer"
        with emu.answering(None):
            assert client.complete("Hi", model=FLASH).text == 'Received the text "Hi".'
    assert client.complete("Hi", model=FLASH).text == 'Received the text "Hi".'


def test_answering_swaps_safely_while_requests_run(emu: Emulator) -> None:
    body = {"model": FLASH, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    statuses: list[int] = []
    done = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer k"}) as http:
            while not done.is_set():
                statuses.append(http.post("/chat/completions", json=body).status_code)

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        for _ in range(20):
            with emu.answering(lambda request: "A"):
                time.sleep(0.005)
    finally:
        done.set()
        worker.join(10)
    assert statuses and set(statuses) == {200}
    assert {r.user_text for r in emu.requests} == {"Hi"}
    with OmniClient(api_key="k", base_url=emu.base_url, max_retries=0) as omni:
        assert omni.complete("Hi", model=FLASH).text == 'Received the text "Hi".'  # restored


def test_the_emulator_takes_an_answer_function() -> None:
    image = ImagePart(image_png(64, 48))
    with (
        Emulator(answer=lambda request: f"{len(request.parts)} part, {request.parts[0].info}") as emu,
        OmniClient(api_key="k", base_url=emu.base_url, max_retries=0) as omni,
    ):
        result = omni.complete([Message("user", [image, TextPart("What?")])], model=FLASH)
    assert result.text.startswith("1 part, ") and "64" in result.text


SCRIPT = """
from qwen_omni.emulator import ScriptRequest


def answer(request: ScriptRequest) -> str:
    return "From the script: " + request.text
"""


def test_load_answer_reads_module_colon_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_script.py").write_text(SCRIPT)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_answer("my_script:answer").__name__ == "answer"
    for spec, message in [
        ("my_script", "must be module:function"),
        ("no_such_module_x:answer", "cannot import 'no_such_module_x'"),
        ("my_script:missing", "has no attribute 'missing'"),
        ("my_script:SCRIPT_NOT_THERE", "has no attribute"),
    ]:
        with pytest.raises(ValueError, match=message):
            load_answer(spec)


def test_main_refuses_a_bad_answer_spec(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        emulator_main(["--answer", "not-a-spec"])
    assert info.value.code == 2 and "must be module:function" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["module", "cli"])
def test_the_command_serves_a_scripted_answer(tmp_path: Path, command: str) -> None:
    (tmp_path / "my_script.py").write_text(SCRIPT)
    argv = (
        [sys.executable, "-m", "qwen_omni.emulator"]
        if command == "module"
        else [str(Path(sys.executable).with_name("qwen-omni")), "emulator"]
    )
    argv += ["--port", "0", "--answer", "my_script:answer"]
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with OmniClient(api_key="k", base_url=base_url, max_retries=0) as omni:
            assert omni.complete("Hi", model=FLASH).text == "From the script: Hi"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
