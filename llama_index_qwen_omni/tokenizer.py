"""Token counts for LlamaIndex without downloads: ``QwenOmni.count_tokens`` and a tokenizer of estimates.

LlamaIndex counts tokens with ``Settings.tokenizer`` (by default tiktoken's GPT encoding, downloaded on first use)
and ``TokenCountingHandler(tokenizer=...)``, both a callable from text to a list of tokens. Qwen's tokenizer is not
bundled, so :class:`QwenOmniTokenizer` gives as many placeholder ids as the offline estimate
(:mod:`qwen_omni.prompt_tokens`: about four characters a token, the rule the long-media planner uses): the length is
the estimate, the ids mean nothing. ``QwenOmni.count_tokens(messages)`` adds media at the documented rates.

Example:
    >>> tokenizer = QwenOmniTokenizer()
    >>> len(tokenizer.encode("How long is this recording?")), len(tokenizer("Hi"))
    (7, 1)
"""

from __future__ import annotations

from typing import Any

from qwen_omni.tokens import text_tokens

__all__ = ["QwenOmniTokenizer"]


class QwenOmniTokenizer:
    """A LlamaIndex tokenizer whose token count is Qwen-Omni's offline estimate (``Settings.tokenizer = ...``)."""

    def encode(self, text: str, *args: Any, **kwargs: Any) -> list[int]:
        """As many placeholder ids (zeros) as the estimated tokens of ``text``."""
        return [0] * text_tokens(len(text))

    def __call__(self, text: str) -> list[int]:
        return self.encode(text)
