"""Install the built wheel with each extra into a clean virtual environment and check what comes with it.

Run by ``.ci/run``: ``python .ci/check_extras.py UV WHEEL CONSTRAINTS``. For each extra it creates a venv,
installs ``WHEEL[extra]`` (versions pinned to the lock by ``CONSTRAINTS``), checks that the face imports, that
the other framework is absent, and that a face whose framework is missing says which extra to install; then it
prints each environment's installed size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

LANGCHAIN = {"langchain-core", "langchain"}
LLAMA_INDEX = {"llama-index-core", "llama-index-workflows", "llama-index-instrumentation"}
SERVER = {"starlette", "uvicorn"}


@dataclass(frozen=True)
class Case:
    extra: str
    imports: str
    absent: frozenset[str]
    refused: tuple[tuple[str, str], ...]  # (module, the extra its error must name)


CASES = (
    Case(
        "",
        "import qwen_omni; from qwen_omni import OmniClient, build_payload; from qwen_omni.media import probe",
        frozenset(LANGCHAIN | LLAMA_INDEX | SERVER),
        (
            ("langchain_qwen_omni", "langchain"),
            ("llama_index_qwen_omni", "llama-index"),
            ("qwen_omni.emulator", "emulator"),
        ),
    ),
    Case(
        "langchain",
        "from langchain_qwen_omni import ChatQwenOmni; ChatQwenOmni(api_key='sk-check')",
        frozenset(LLAMA_INDEX | SERVER),
        (("llama_index_qwen_omni", "llama-index"),),
    ),
    Case(
        "llama-index",
        "from llama_index_qwen_omni import QwenOmni, QwenOmniReader; QwenOmni(api_key='sk-check')",
        frozenset(LANGCHAIN | SERVER),
        (("langchain_qwen_omni", "langchain"),),
    ),
    Case(
        "emulator",
        "from qwen_omni.emulator import Emulator",
        frozenset(LANGCHAIN | LLAMA_INDEX),
        (),
    ),
    Case(
        "all",
        "import langchain_qwen_omni, llama_index_qwen_omni, qwen_omni.emulator",
        frozenset(),
        (),
    ),
)


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def size_mb(venv: Path) -> float:
    site = next(venv.glob("lib/python*/site-packages"))
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 1_000_000


def check(case: Case, uv: str, wheel: Path, constraints: Path, root: Path) -> tuple[int, float]:
    venv = root / (case.extra or "core")
    run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")
    target = f"{wheel}[{case.extra}]" if case.extra else str(wheel)
    run(uv, "pip", "install", "--quiet", "--python", python, "--constraint", str(constraints), target)
    installed = {p["name"].lower() for p in json.loads(run(uv, "pip", "list", "--python", python, "--format", "json"))}
    unwanted = sorted(installed & case.absent)
    if unwanted:
        raise SystemExit(f"qwen-omni[{case.extra}] pulled in {', '.join(unwanted)}")
    run(python, "-c", case.imports)
    for module, extra in case.refused:
        probe = (
            f"try:\n    import {module}\nexcept ImportError as exc:\n    print(exc)\n"
            f"else:\n    raise SystemExit('{module} imported without its framework')"
        )
        message = run(python, "-c", probe).strip()
        if f'pip install "qwen-omni[{extra}]"' not in message:
            raise SystemExit(f"importing {module} without its framework said: {message!r}")
    return len(installed), size_mb(venv)


def main(uv: str, wheel: str, constraints: str) -> None:
    with tempfile.TemporaryDirectory(prefix="qwen-omni-extras-") as tmp:
        print(f"{'install':28} {'distributions':>13} {'size':>9}")
        for case in CASES:
            count, size = check(case, uv, Path(wheel).resolve(), Path(constraints).resolve(), Path(tmp))
            name = f"qwen-omni[{case.extra}]" if case.extra else "qwen-omni"
            print(f"{name:28} {count:>13} {size:>6.0f} MB", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
