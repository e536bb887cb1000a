"""Every pipeline option has a flag: each ``PlanOptions`` field and each ``LongMedia`` option, walked from the
classes themselves (so a field added later is walked too), given a value other than its default on the command
line and found on the pipeline the command builds; and a few flags proven on the wire by decoding what was sent."""

from __future__ import annotations

import dataclasses
import inspect
import io
import types
import typing
import wave
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.cli import build_parser, main
from qwen_omni.cli_longmedia import COMMANDS, pipeline_for
from qwen_omni.cli_options import NOT_FLAGS, ONLY_FOR, OptionFlag, cli_words, option_flags
from qwen_omni.emulator import Emulator
from qwen_omni.longmedia import LongMedia, PlanOptions


def _other(flag: OptionFlag) -> tuple[Any, list[str]]:
    """A valid value other than the default, and its words on the command line."""
    union = typing.get_origin(flag.hint) in (typing.Union, types.UnionType)
    members = [m for m in (typing.get_args(flag.hint) if union else (flag.hint,)) if m is not type(None)]
    if members == [bool]:
        return (not flag.default), [flag.flag if not flag.default else "--no-" + flag.flag.removeprefix("--")]
    literals = [v for m in members if typing.get_origin(m) is Literal for v in typing.get_args(m)]
    if int in members and literals:  # e.g. channel: "mix" or an index
        return 1, [flag.flag, "1"]
    if literals:
        value = next(v for v in literals if v != flag.default)
        return value, [flag.flag, str(value)]
    if str in members:
        return "qwen3.5-omni-plus", [flag.flag, "qwen3.5-omni-plus"]
    kind = int if int in members else float
    default = flag.default if isinstance(flag.default, int | float) and not isinstance(flag.default, bool) else None
    value = kind(30) if not default else kind(default / 2)
    return value, [flag.flag, str(value)]


def _command_for(flag: OptionFlag) -> str:
    modes = ONLY_FOR.get(flag.name)
    return next(c for c, (mode, _) in COMMANDS.items() if modes is None or mode in modes)


def test_every_plan_option_and_every_pipeline_option_is_a_flag_or_named_as_not_one() -> None:
    names = {flag.name for flag in option_flags()}
    for field in dataclasses.fields(PlanOptions):
        assert field.name in names, f"PlanOptions.{field.name} has no flag (its type may be one no flag can carry)"
    for name in inspect.signature(LongMedia.__init__).parameters:
        if name != "self":
            assert name in names or name in NOT_FLAGS, f"LongMedia({name}=...) has no flag and is not in NOT_FLAGS"
    assert not set(NOT_FLAGS) & names
    assert all(flag.help for flag in option_flags()), "every flag's help comes from the docstring"


@pytest.mark.parametrize("flag", option_flags(), ids=lambda f: f.flag)
def test_each_flag_reaches_the_pipeline_the_command_builds(flag: OptionFlag) -> None:
    value, words = _other(flag)
    command = _command_for(flag)
    prompt = ["--prompt", "Who speaks?"] if COMMANDS[command][0] == "custom" else []
    args = build_parser().parse_args([command, "x.wav", *prompt, *words])
    pipeline = pipeline_for(args, COMMANDS[command][0], OmniClient(api_key="unused"))
    found = getattr(pipeline.options, flag.name) if flag.owner == "plan" else getattr(pipeline, flag.name)
    assert found == value and found != flag.default, (flag.flag, found)


def test_mode_options_are_flags_of_their_commands_only() -> None:
    parser = build_parser()
    assert parser.parse_args(["summarize", "x.wav", "--reduce-model", "qwen3.5-omni-plus", "--summary-from", "notes"])
    with pytest.raises(SystemExit):
        parser.parse_args(["transcribe", "x.wav", "--reduce-model", "qwen3.5-omni-plus"])
    assert parser.parse_args(["ask-each", "x.wav", "-p", "Hi", "--no-timestamps"])


def test_refused_values_are_worded_with_their_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, told in (
        (["--fps", "20"], "--fps must be between 0.1 and 10"),
        (["--overlap", "-1"], "--overlap and --snap must be 0 or more seconds"),
        (["--channel", "left"], "argument --channel: expected 'mix' or int, got 'left'"),
        (["--video-as", "gif"], "argument --video-as: invalid choice: 'gif'"),
    ):
        (tmp_path / "x.wav").write_bytes(samples.tone_wav(1.0))
        err = io.StringIO()
        try:
            code = main(["transcribe", str(tmp_path / "x.wav"), *argv], out=io.StringIO(), err=err)
        except SystemExit as exc:  # argparse's own refusals, on sys.stderr
            code = int(exc.code or 0)
        said = err.getvalue() + capsys.readouterr().err
        assert code == 2 and told in said and "[offline]" not in said, (argv, said)
    assert cli_words("segment_seconds must be positive", subject=True) == "--segment-seconds must be positive"


def _stereo_wav(path: Path, seconds: float) -> None:
    """A 48 kHz stereo WAV: 440 Hz on the left, 660 Hz on the right."""
    t = np.arange(round(seconds * 48_000)) / 48_000
    left, right = (np.round(0.3 * 32767 * np.sin(2 * np.pi * f * t)).astype(np.int16) for f in (440, 660))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(np.stack([left, right], axis=1).astype("<i2").tobytes())


def test_flags_change_what_is_sent_as_the_received_bytes_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stereo_wav(tmp_path / "duo.wav", 50.0)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-flags")
    flags = ["--segment-seconds", "20", "--snap", "0", "--channel", "1", "--audio-format", "opus",
             "--no-progress", "--no-cache"]  # fmt: skip
    with Emulator() as emu:
        out, err = io.StringIO(), io.StringIO()
        code = main(["transcribe", str(tmp_path / "duo.wav"), "--base-url", emu.base_url, *flags], out=out, err=err)
        assert code == 0, err.getvalue()
        parts = [r.parts[0] for r in emu.requests]
    assert len(parts) == 3  # 50 s in segments of at most 20 s
    for part in parts:
        info = part.info
        assert info is not None and info.channels == 1 and info.container == "ogg", info  # Opus in Ogg, one channel
        assert info.duration is not None and info.duration <= 20.05
    assert "660 Hz" in out.getvalue() and "440 Hz" not in out.getvalue()  # the right channel, as heard
