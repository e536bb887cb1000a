"""Errors that are both this package's (:mod:`qwen_omni.errors`) and LlamaIndex's own.

LlamaIndex's parse error is ``llama_index.core.output_parsers.base.OutputParserException`` (what its output
parsers and ``auto_retriever`` raise and catch). A structured answer that does not fit, after the repair requests,
is raised as :class:`QwenOmniOutputParserError`, both that and :class:`qwen_omni.errors.StructuredOutputError`.

Example:
    >>> from qwen_omni.structured import structured_error
    >>> error = to_llama_index_error(structured_error("City", ["name: Field required"], "{}", repairs=1))
    >>> isinstance(error, OutputParserException), error.raw
    (True, '{}')
"""

from __future__ import annotations

from llama_index.core.output_parsers.base import OutputParserException

from qwen_omni import errors as core

__all__ = ["OutputParserException", "QwenOmniOutputParserError", "to_llama_index_error"]


class QwenOmniOutputParserError(core.StructuredOutputError, OutputParserException):
    """A structured answer does not fit its schema after the repair requests: LlamaIndex's parse error, with the
    raw answer in ``raw`` and what does not fit in ``errors``."""


def to_llama_index_error(error: core.QwenOmniError) -> core.QwenOmniError:
    """``error`` as the class that is also LlamaIndex's own, when there is one (the same message and attributes)."""
    if isinstance(error, core.StructuredOutputError) and not isinstance(error, QwenOmniOutputParserError):
        converted = QwenOmniOutputParserError(str(error), raw=error.raw, errors=error.errors, outcome=error.outcome)
        return converted.with_traceback(error.__traceback__)
    return error
