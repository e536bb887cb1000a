"""Which optional extra brings which dependency, and one clear error when it is missing.

The core needs only the transport and media libraries; each framework face and the emulator's server come
in an extra (``pip install "qwen-omni[langchain]"``, ``[llama-index]``, ``[emulator]``, or ``[all]``).
Importing a face without its framework raises :class:`~qwen_omni.errors.MissingExtraError`, which names
the extra to install.

Example:
    >>> require("json", extra="emulator", needed_by="this example")  # present: nothing happens
    >>> try:
    ...     require("no_such_module_anywhere", extra="langchain", needed_by="langchain_qwen_omni")
    ... except ImportError as exc:
    ...     print(exc)
    langchain_qwen_omni needs no_such_module_anywhere, which is not installed: pip install "qwen-omni[langchain]"
"""

from __future__ import annotations

import importlib.util

from .errors import MissingExtraError

__all__ = ["EXTRAS", "require"]

#: Each extra and the top-level modules it brings.
EXTRAS: dict[str, tuple[str, ...]] = {
    "langchain": ("langchain_core",),
    "llama-index": ("llama_index.core",),
    "emulator": ("starlette", "uvicorn"),
}


def require(*modules: str, extra: str, needed_by: str) -> None:
    """Raise :class:`MissingExtraError` unless every module in ``modules`` can be imported."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package is missing (e.g. llama_index for llama_index.core)
            found = False
        if not found:
            raise MissingExtraError(
                f'{needed_by} needs {module}, which is not installed: pip install "qwen-omni[{extra}]"',
                extra=extra,
            )
