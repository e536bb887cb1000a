"""Every module of the three packages says what it exports, and every exported name exists."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import langchain_qwen_omni
import llama_index_qwen_omni
import qwen_omni


def _modules(package: ModuleType) -> list[str]:
    names = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


MODULES = [name for package in (qwen_omni, langchain_qwen_omni, llama_index_qwen_omni) for name in _modules(package)]


def test_every_package_module_is_walked() -> None:
    assert "qwen_omni.emulator.answer" in MODULES
    assert "qwen_omni.media.cutting" in MODULES
    assert "langchain_qwen_omni.tools" in MODULES
    assert "llama_index_qwen_omni.reader" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_all_and_every_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list | tuple), f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
