"""The emulator's parts for long media: timestamped answers relative to the file received, an RPM limit, faults
after N requests, arrival times."""

from __future__ import annotations

import httpx
import pytest

from qwen_omni import AudioPart, Message, OmniClient, TextPart, VideoPart, samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import RateLimitError

CAPTION = "Transcribe it, one line each, in this format: [00:00:15,020 --> 00:00:28,085] text"
DESCRIPTION = "Describe it with times, in this format: 00:00.000 – 00:02.500 what happens"


def _ask(client: OmniClient, part: AudioPart | VideoPart, prompt: str) -> str:
    return client.complete([Message("user", [part, TextPart(prompt)])], model="qwen3-omni-flash").text


def test_a_caption_prompt_gets_the_sounds_times_counted_from_the_file_received() -> None:
    turns = samples.meeting_schedule(20.0)
    with Emulator() as emu:
        client = OmniClient(api_key="sk-test", base_url=emu.base_url)
        text = _ask(client, AudioPart(samples.meeting_wav(20.0)), CAPTION)
    lines = text.splitlines()
    assert len(lines) == len(turns)
    first = turns[0]
    assert lines[0].startswith("[00:00:00,500 --> 00:00:04,") and lines[0].endswith(f"A voice at {first.hertz} Hz.")


def test_a_description_prompt_gets_the_guides_format() -> None:
    with Emulator() as emu:
        client = OmniClient(api_key="sk-test", base_url=emu.base_url)
        text = _ask(client, AudioPart(samples.meeting_wav(10.0)), DESCRIPTION)
        silent = _ask(client, VideoPart(samples.video_mp4(12.0, with_audio=False)), DESCRIPTION)
        plain = _ask(client, AudioPart(samples.meeting_wav(10.0)), "What do you hear?")
    assert text.startswith("00:00.500 – 00:04.") and "A sound at" in text
    assert silent.splitlines() == ["00:00.000 – 00:10.000 The picture.", "00:10.000 – 00:12.000 The picture."]
    assert plain.startswith("Received 1 audio"), "other prompts keep the facts sentence"


def test_the_rpm_limit_answers_429_with_retry_after() -> None:
    with (
        Emulator(rpm=2, rpm_window=60.0, per_second=False) as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer k"}) as http,
    ):
        emu.inject(Fault(status=503))
        body = {"model": "qwen3-omni-flash", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
        statuses = [http.post("/chat/completions", json=body) for _ in range(3)]
        assert [r.status_code for r in statuses] == [503, 200, 429]
        limited = statuses[2]
        assert limited.json()["error"]["code"] == "limit_requests"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        emu.set_rate_limit(None)
        assert http.post("/chat/completions", json=body).status_code == 200
        arrived = [r.arrived for r in emu.requests]
    assert arrived == sorted(arrived) and arrived[0] > 0


def test_a_client_without_retries_fails_against_the_limit() -> None:
    with Emulator(rpm=1, rpm_window=60.0) as emu:
        client = OmniClient(api_key="sk-test", base_url=emu.base_url, max_retries=0)
        client.complete([Message("user", "Hi")])
        with pytest.raises(RateLimitError, match="Requests rate limit exceeded"):
            client.complete([Message("user", "Hi")])


def test_inject_after_lets_requests_pass_first() -> None:
    with Emulator() as emu:
        client = OmniClient(api_key="sk-test", base_url=emu.base_url, max_retries=0)
        emu.inject(Fault(status=400, message="third"), after=2)
        client.complete([Message("user", "1")])
        client.complete([Message("user", "2")])
        with pytest.raises(Exception, match="third"):
            client.complete([Message("user", "3")])
        assert [r.status for r in emu.requests] == [200, 200, 400]
