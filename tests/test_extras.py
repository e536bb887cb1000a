"""Each face without its framework fails at import with one clear error naming the extra to install.

The real proof, a clean virtual environment per extra built from the wheel, is ``.ci/check_extras.py``; here a
meta-path finder hides the framework from a fresh interpreter, which is enough to pin the messages.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

BLOCK = textwrap.dedent(
    """
    import sys

    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {hidden!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    """
)


def run_without(hidden: set[str], code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCK.format(hidden=hidden) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("hidden", "module", "extra"),
    [
        ({"langchain_core"}, "langchain_qwen_omni", "langchain"),
        ({"llama_index"}, "llama_index_qwen_omni", "llama-index"),
        ({"starlette", "uvicorn"}, "qwen_omni.emulator", "emulator"),
    ],
)
def test_a_face_without_its_framework_names_the_extra(hidden: set[str], module: str, extra: str) -> None:
    result = run_without(
        hidden,
        f"""
        from qwen_omni.errors import MissingExtraError, QwenOmniError
        try:
            import {module}
        except ImportError as exc:
            assert isinstance(exc, MissingExtraError) and isinstance(exc, QwenOmniError), type(exc)
            print(exc.extra, "|", exc)
        else:
            raise SystemExit("imported without its framework")
        """,
    )
    assert result.returncode == 0, result.stderr
    shown_extra, message = result.stdout.strip().split(" | ")
    assert shown_extra == extra
    assert message.startswith(f"{module} needs ")
    assert f'pip install "qwen-omni[{extra}]"' in message


def test_the_core_imports_without_any_extra() -> None:
    result = run_without(
        {"langchain_core", "llama_index", "starlette", "uvicorn"},
        """
        import qwen_omni
        from qwen_omni import OmniClient, Message, build_payload
        print(build_payload([Message("user", "Hi")], qwen_omni.RequestOptions())["stream"])
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_offline_cli_without_the_emulator_says_what_to_install() -> None:
    result = run_without(
        {"starlette", "uvicorn"},
        """
        import io, os
        os.environ.pop("DASHSCOPE_API_KEY", None)
        from qwen_omni.cli import main
        err = io.StringIO()
        code = main(["ask", "--prompt", "Hi"], out=io.StringIO(), err=err)
        print(code, "|", err.getvalue().strip())
        """,
    )
    assert result.returncode == 0, result.stderr
    code, message = result.stdout.strip().split(" | ", 1)
    assert code == "1"
    assert "no DASHSCOPE_API_KEY is set" in message
    assert 'pip install "qwen-omni[emulator]"' in message
