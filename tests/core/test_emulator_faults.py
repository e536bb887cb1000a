"""The emulator's transport faults on the wire (raw HTTP), the record of each stream's delivery, and the control
routes for an emulator served from another process."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from qwen_omni.emulator import Emulator, Fault

CHAT = "/chat/completions"
BODY: dict[str, Any] = {
    "model": "qwen3.5-omni-flash",
    "stream": True,
    "stream_options": {"include_usage": True},
    "messages": [{"role": "user", "content": "Hello there"}],
}


def post(http: httpx.Client, fault: str) -> httpx.Response:
    return http.post(CHAT, json=BODY, headers={"X-Emulator-Fault": fault})


def data_lines(response: httpx.Response) -> list[str]:
    return [line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")]


def test_fault_header_round_trip_of_the_new_fields() -> None:
    fault = Fault(
        status=429, retry_after_header="soon", retry_after_ms=250, html=True, header_delay=0.5, byte_delay=0.01
    )
    assert Fault.from_header(fault.to_header()) == fault
    assert Fault.from_header("malformed-after=2;malformed=html;no-done=true") == Fault(
        malformed_after=2, malformed="html", no_done=True
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("malformed=xml", "malformed must be 'json' or 'html'"),
        ("no-done=maybe", "no-done must be 1 or 0"),
        ("retry-after=1;retry-after-header=soon", "not both"),
        ("echo-authorization=1;status=500", "answers 401"),
        ("byte-delay=-1", "0 or more seconds"),
    ],
)
def test_bad_new_fault_fields_are_refused(http: httpx.Client, header: str, message: str) -> None:
    response = post(http, header)
    assert response.status_code == 400 and message in response.json()["error"]["message"]


def test_retry_after_forms_are_sent_as_given(http: httpx.Client) -> None:
    response = post(http, "status=429;retry-after-header=Wed, 21 Oct 2099 07:28:00 GMT;retry-after-ms=1500")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "Wed, 21 Oct 2099 07:28:00 GMT"
    assert response.headers["retry-after-ms"] == "1500"
    assert "retry-after" not in post(http, "status=429").headers


def test_html_answers(http: httpx.Client) -> None:
    page = post(http, "status=502;html=1")
    assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in page.text
    portal = post(http, "html=1")
    assert portal.status_code == 200 and portal.headers["content-type"].startswith("text/html")


def test_reset_before_the_headers(http: httpx.Client, emu: Emulator) -> None:
    with pytest.raises(httpx.ReadError, match="reset by peer"):
        post(http, "reset=1")
    assert emu.last_request is not None and emu.last_request.status == 0
    assert post(http, "").status_code == 200, "the server is unharmed"


def test_malformed_lines_no_done_and_no_finish(http: httpx.Client) -> None:
    lines = data_lines(post(http, "malformed-after=1"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[1])
    assert lines[-1] == "[DONE]", "the stream goes on after the malformed line"
    assert data_lines(post(http, "malformed-after=2;malformed=html"))[2].startswith("<html>")
    no_done = data_lines(post(http, "no-done=1"))
    assert no_done[-1] != "[DONE]" and json.loads(no_done[-1])["usage"]
    no_finish = data_lines(post(http, "no-finish=1"))
    assert no_finish[-1] == "[DONE]"
    assert all(c["finish_reason"] is None for line in no_finish[:-1] for c in json.loads(line)["choices"])


def test_echo_authorization(http: httpx.Client, emu: Emulator) -> None:
    response = post(http, "echo-authorization=1")
    assert response.status_code == 401
    assert "Bearer sk-any" in response.json()["error"]["message"]
    assert response.json()["authorization"] == "Bearer sk-any"
    record = emu.last_request
    assert record is not None and record.error_message is not None
    assert "sk-any" not in record.error_message, "the journal never keeps a key"


def test_slow_first_byte_and_trickle(http: httpx.Client, emu: Emulator) -> None:
    start = time.monotonic()
    with http.stream("POST", CHAT, json=BODY, headers={"X-Emulator-Fault": "header-delay=0.3"}) as response:
        assert time.monotonic() - start >= 0.3, "the headers waited"
        response.read()
    with http.stream("POST", CHAT, json=BODY, headers={"X-Emulator-Fault": "byte-delay=0.001"}) as response:
        pieces = list(response.iter_raw())
    assert len(pieces) > 100, "one byte at a time"
    delivery = emu.last_request.delivery if emu.last_request else None
    assert delivery is not None and delivery.state == "completed" and delivery.sent == delivery.planned


def test_delivery_records_a_hang_up(http: httpx.Client, emu: Emulator) -> None:
    with http.stream("POST", CHAT, json=BODY, headers={"X-Emulator-Fault": "chunk-delay=0.2"}) as response:
        next(response.iter_raw())
    record = emu.last_request
    assert record is not None and record.delivery is not None
    assert record.delivery.wait(5.0)
    assert record.delivery.state == "disconnected" and record.delivery.disconnected_at is not None
    assert record.delivery.sent < record.delivery.planned


def test_control_routes(emu: Emulator) -> None:
    with (
        httpx.Client(base_url=emu.url, timeout=10) as control,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer k"}, timeout=10) as http,
    ):
        assert control.post("/_emulator/reset").json() == {"status": "ok"}
        assert control.post("/_emulator/faults", json={"fault": "status=503", "times": 2}).json() == {"queued": 2}
        assert control.post("/_emulator/faults", json={"faults": ["status=500", ""]}).json() == {"queued": 4}
        assert control.post("/_emulator/faults", json={"fault": "nope=1"}).status_code == 400
        assert [http.post(CHAT, json=BODY).status_code for _ in range(4)] == [503, 503, 500, 200]
        summaries = control.get("/_emulator/requests").json()["requests"]
    assert [s["status"] for s in summaries] == [503, 503, 500, 200]
    assert summaries[0]["fault"] == "status=503" and summaries[3]["fault"] == ""
    assert summaries[3]["delivery"]["state"] == "completed" and summaries[3]["user_text"] == "Hello there"
