"""Where the ``qwen-omni`` commands send: the real endpoint with a key, else the in-process emulator.

Without ``DASHSCOPE_API_KEY`` and ``--base-url`` (or with ``--offline``) requests go to an emulator started for
the command, and stderr says so.

Example:
    >>> import argparse
    >>> offline_reason(argparse.Namespace(offline=True, base_url=None))
    '--offline'
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TextIO

from .client import OmniClient
from .endpoints import resolve_base_url
from .errors import MissingExtraError
from .ratelimit import RequestBudget

__all__ = ["OFFLINE_ENDPOINT", "client_for", "endpoint_of", "offline_reason"]

#: What :func:`endpoint_of` says for the in-process emulator.
OFFLINE_ENDPOINT = "offline-emulator"


def offline_reason(args: argparse.Namespace) -> str | None:
    """Why the command answers from the emulator (``"--offline"``, no key), or None when it asks the real model."""
    if args.offline:
        return "--offline"
    if not (os.environ.get("DASHSCOPE_API_KEY") or args.base_url):
        return "no DASHSCOPE_API_KEY is set"
    return None


def endpoint_of(args: argparse.Namespace) -> str:
    """The base URL the command sends to, or :data:`OFFLINE_ENDPOINT`; reads nothing but the arguments and the
    environment (nothing is started or sent)."""
    if offline_reason(args) is not None:
        return OFFLINE_ENDPOINT
    return resolve_base_url(args.base_url, args.region, args.workspace_id)


@contextlib.contextmanager
def client_for(
    args: argparse.Namespace, err: TextIO, rate_limiter: RequestBudget | None = None
) -> Iterator[OmniClient]:
    """The client the command sends through (the in-process emulator's, started here, when offline)."""
    reason = offline_reason(args)
    if reason is None:
        yield OmniClient(
            base_url=args.base_url, region=args.region, workspace_id=args.workspace_id, rate_limiter=rate_limiter
        )
        return
    try:
        from .emulator import Emulator
    except MissingExtraError as exc:
        raise MissingExtraError(
            f"{reason}, so the answer would come from the local emulator, which is not installed: "
            f'pip install "qwen-omni[emulator]", or set DASHSCOPE_API_KEY to ask the real model.',
            extra=exc.extra,
        ) from None
    print(f"[offline] {reason}: answering from the local Qwen-Omni emulator, not the real model.", file=err)
    with Emulator() as emu:
        yield OmniClient(api_key="offline", base_url=emu.base_url, rate_limiter=rate_limiter)
