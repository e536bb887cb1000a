"""The emulator's generated values read the prompt, over real HTTP: tool-call arguments take the numbers,
quoted texts and enum values of the last user text, and the opt-in ``schema_answer`` follows a JSON schema written
in a JSON-mode prompt (the rules are in ``qwen_omni/emulator/schema.py``); the emulator's own JSON-mode answer does
not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from qwen_omni.emulator import Emulator, schema_answer

CHAT = "/chat/completions"
FLASH = "qwen3.5-omni-flash"


def stream(http: httpx.Client, messages: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    """POST a chat request; assert a complete 200 stream; return its chunks."""
    body = {"model": FLASH, "stream": True, "messages": messages, **extra}
    response = http.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    blocks = [b[len("data: ") :] for b in response.text.split("\n\n") if b.strip()]
    assert blocks[-1] == "[DONE]"
    return [json.loads(b) for b in blocks[:-1]]


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def raw_arguments(http: httpx.Client, text: str, parameters: dict[str, Any]) -> str:
    """The arguments string of the one tool call the emulator makes for ``text``, joined from its fragments."""
    tool = {"type": "function", "function": {"name": "act", "parameters": parameters}}
    chunks = stream(http, user(text), tools=[tool])
    calls = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls", [])]
    assert calls and {call["index"] for call in calls} == {0}
    return "".join(call["function"]["arguments"] for call in calls)


def arguments(http: httpx.Client, text: str, parameters: dict[str, Any]) -> Any:
    return json.loads(raw_arguments(http, text, parameters))


def content_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def props(**properties: Any) -> dict[str, Any]:
    """An object schema whose properties are all required, in the order given."""
    return {"type": "object", "properties": properties, "required": list(properties)}


INT = {"type": "integer"}
NUM = {"type": "number"}
STR = {"type": "string"}


# ------------------------------------------------------------------------------------------ numbers


def test_numeric_arguments_take_the_numbers_of_the_text_in_order(http: httpx.Client) -> None:
    schema = props(a=INT, label=STR, b=NUM, c=INT)
    assert arguments(http, "Add 3 and -2.5, then 7, then 9 times", schema) == {
        "a": 3,
        "label": "times",
        "b": -2.5,
        "c": 7,
    }
    assert arguments(http, "What is the value of magic_function(3)? Use the tool.", props(input=INT)) == {"input": 3}


def test_numeric_arguments_fall_back_to_the_defaults_when_numbers_run_out(http: httpx.Client) -> None:
    assert arguments(http, "Add 4 to something", props(a=INT, b=NUM, c=INT)) == {"a": 4, "b": 1.5, "c": 1}
    assert arguments(http, "No numbers here", props(a=INT, b=NUM)) == {"a": 1, "b": 1.5}


def test_a_number_that_does_not_fit_its_property_leaves_the_default(http: httpx.Client) -> None:
    bounded = props(
        input={"type": "integer", "exclusiveMinimum": -1000, "exclusiveMaximum": 1000},
        days={"type": "integer", "minimum": 2, "maximum": 5},
        ratio={"type": "number", "minimum": 0, "maximum": 1},
    )
    assert arguments(http, "Use 1000, then 9, then 0.25", bounded) == {"input": 1, "days": 2, "ratio": 0.25}
    assert arguments(http, "Use 999, then 4, then 1", bounded) == {"input": 999, "days": 4, "ratio": 1}
    assert arguments(http, "Take 2.5 then 2.0", props(a=INT, b=INT)) == {"a": 1, "b": 2}  # whole numbers only


def test_numbers_glued_to_words_or_inside_quotes_are_not_counted(http: httpx.Client) -> None:
    text = "Ask qwen3.5-omni-flash about h2o, omni-5 and 'Agent 47' for 12 days"
    assert arguments(http, text, props(name=STR, days=INT)) == {"name": "Agent 47", "days": 12}
    assert arguments(http, "第3天的天气", props(day=INT)) == {"day": 3}  # Chinese has no spaces between words


def test_numbers_fill_nested_objects_and_arrays_depth_first(http: httpx.Client) -> None:
    schema = props(where=props(lat=NUM, lon=NUM), days=INT, scores={"type": "array", "items": INT})
    assert arguments(http, "At 48.85, 2.35 for 3 days, score 10", schema) == {
        "where": {"lat": 48.85, "lon": 2.35},
        "days": 3,
        "scores": [10],
    }


# ------------------------------------------------------------------------------------------ strings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Create 'Ada Lovelace' in 'London'", ("Ada Lovelace", "London")),
        ('Create "Ada Lovelace" in "London"', ("Ada Lovelace", "London")),
        ("Create “Ada Lovelace” in ‘London’", ("Ada Lovelace", "London")),
        ("顧客「山田太郎」を「東京」に作成", ("山田太郎", "東京")),
        ("What's Bob's 'favourite café' called", ("favourite café", "called")),
    ],
    ids=["single", "double", "curly", "corner", "apostrophes"],
)
def test_string_arguments_take_the_quoted_texts_in_order(
    http: httpx.Client, text: str, expected: tuple[str, str]
) -> None:
    assert arguments(http, text, props(name=STR, city=STR)) == dict(zip(("name", "city"), expected, strict=True))


def test_strings_without_a_quote_keep_the_last_word_and_formats_keep_their_example(http: httpx.Client) -> None:
    schema = props(name=STR, email={"type": "string", "format": "email"}, city=STR, note=STR)
    assert arguments(http, "Register 'Ada' at her home in Paris", schema) == {
        "name": "Ada",
        "email": "user@example.com",
        "city": "Paris",
        "note": "Paris",
    }


def test_unicode_arguments_pass_through_unescaped(http: httpx.Client) -> None:
    schema = props(customer_name=STR, description=STR)
    text = "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company"
    raw = raw_arguments(http, text, schema)
    assert "你好啊集团" in raw and "\\u" not in raw
    assert json.loads(raw) == {"customer_name": "你好啊集团", "description": "company"}
    japanese = "Create a customer named 'こんにちは株式会社' (Hello Corporation) - a Japanese company"
    assert arguments(http, japanese, schema)["customer_name"] == "こんにちは株式会社"


# ------------------------------------------------------------------------------------------ enums


UNIT = {"type": "string", "enum": ["celsius", "fahrenheit", "kelvin"]}


def test_an_enum_takes_its_first_value_and_nothing_from_the_text(http: httpx.Client) -> None:
    schema = props(unit=UNIT, name=STR, days=INT)
    expected = {"unit": "celsius", "name": "Oslo", "days": 4}
    assert arguments(http, "Give 'Oslo' in kelvin for 4 days", schema) == expected
    sizes = props(size={"enum": ["s", "m", "l"]}, level={"enum": [1, 2, 3]})
    assert arguments(http, "One in size M at level 3", sizes) == {"size": "s", "level": 1}


def test_values_are_deterministic(http: httpx.Client) -> None:
    schema = props(name=STR, days=INT, unit=UNIT)
    text = "Book 'Ana' for 2 days, fahrenheit"
    assert {raw_arguments(http, text, schema) for _ in range(3)} == {'{"name": "Ana", "days": 2, "unit": "celsius"}'}


# ------------------------------------------------------------------------------------------ JSON mode

JOKE = {
    "description": "Joke to tell user.",
    "properties": {
        "setup": {"description": "question to set up a joke", "title": "Setup", "type": "string"},
        "punchline": {"description": "answer to resolve the joke", "title": "Punchline", "type": "string"},
    },
    "required": ["setup", "punchline"],
    "title": "Joke",
    "type": "object",
}
JSON_MODE = {"response_format": {"type": "json_object"}}


def instruction(schema: dict[str, Any]) -> dict[str, Any]:
    """A system message as ``ChatQwenOmni.with_structured_output(method="json_mode")`` writes it."""
    text = "Respond with a JSON object only, one that validates against this JSON schema:\n" + json.dumps(schema)
    return {"role": "system", "content": text}


@pytest.fixture
def fitting(emu: Emulator) -> Iterator[None]:
    """The opt-in answer function whose JSON answers fit the schema the request holds."""
    with emu.answering(schema_answer):
        yield


def json_answer(http: httpx.Client, messages: list[dict[str, Any]]) -> Any:
    return json.loads(content_of(stream(http, messages, **JSON_MODE)))


def test_the_emulators_own_json_mode_answer_ignores_the_schema(http: httpx.Client) -> None:
    text = "A joke about cats: 'Why did the cat sit on the computer?' “To keep an eye on the mouse.”"
    assert json_answer(http, [instruction(JOKE), *user(text)]) == {"answer": f'Received the text "{text}".'}


def test_json_mode_follows_the_schema_in_the_system_prompt(http: httpx.Client, fitting: None) -> None:
    text = "A joke about cats: 'Why did the cat sit on the computer?' “To keep an eye on the mouse.”"
    assert json_answer(http, [instruction(JOKE), *user(text)]) == {
        "setup": "Why did the cat sit on the computer?",
        "punchline": "To keep an eye on the mouse.",
    }
    standard = "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys."
    assert set(json_answer(http, [instruction(JOKE), *user(standard)])) == {"setup", "punchline"}


def test_json_mode_reads_numbers_refs_and_text_parts(http: httpx.Client, fitting: None) -> None:
    schema = {
        "$defs": {"Unit": {"enum": ["celsius", "fahrenheit"], "type": "string"}},
        "properties": {"city": STR, "days": INT, "unit": {"$ref": "#/$defs/Unit"}},
        "required": ["city", "days", "unit"],
        "type": "object",
    }
    system = {"role": "system", "content": [{"type": "text", "text": instruction(schema)["content"]}]}
    question = {"role": "user", "content": [{"type": "text", "text": "Weather in 'Zürich' for 5 days in fahrenheit"}]}
    assert json_answer(http, [system, question]) == {"city": "Zürich", "days": 5, "unit": "celsius"}


def test_json_mode_takes_the_latest_schema_and_one_in_a_user_message(http: httpx.Client, fitting: None) -> None:
    later = {"type": "object", "properties": {"n": INT}}
    messages = [instruction(JOKE), *user(f"Reply in JSON following {json.dumps(later)} with 7")]
    assert json_answer(http, messages) == {"n": 7}
    two = "Not this JSON schema: " + json.dumps(JOKE) + " but this one: " + json.dumps(later) + " with 8"
    assert json_answer(http, user(two)) == {"n": 8}


def test_json_mode_finds_a_schema_inside_other_json(http: httpx.Client, fitting: None) -> None:
    wrapper = {"name": "joke", "strict": True, "schema": JOKE}
    system = {"role": "system", "content": f"Reply in JSON as {json.dumps(wrapper)}"}
    answer = json_answer(http, [system, *user("A joke: 'Knock knock' 'Who is there?'")])
    assert answer == {"setup": "Knock knock", "punchline": "Who is there?"}


def test_json_mode_without_a_schema_keeps_the_answer_object(http: httpx.Client, fitting: None) -> None:
    text = 'Answer in JSON like {"a": 1} or {"properties": "not schemas"}'
    assert json_answer(http, user(text)) == {"answer": f'Received the text "{text}".'}
