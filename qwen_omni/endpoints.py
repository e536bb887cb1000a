"""Where the OpenAI-compatible API lives: the classic regional hosts and the workspace endpoints.

Model Studio serves the compatible mode from two kinds of host. The classic ones
(``dashscope-intl.aliyuncs.com`` for Singapore, ``dashscope.aliyuncs.com`` for Beijing,
``dashscope-us.aliyuncs.com`` for Virginia) work for the older series. Workspace endpoints,
``https://{WorkspaceId}.{region}.maas.aliyuncs.com/compatible-mode/v1``, exist in six regions, and some models
(e.g. ``qwen3.8-omni-flash-realtime``) require them. API keys are per region.

Example:
    >>> resolve_base_url(region="beijing")
    'https://dashscope.aliyuncs.com/compatible-mode/v1'
    >>> resolve_base_url(region="frankfurt", workspace_id="llm-abc123")
    'https://llm-abc123.eu-central-1.maas.aliyuncs.com/compatible-mode/v1'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .errors import InvalidRequestError

#: The environment variables read when no argument says otherwise.
BASE_URL_ENV = "DASHSCOPE_BASE_URL"
WORKSPACE_ID_ENV = "DASHSCOPE_WORKSPACE_ID"
#: A workspace endpoint; ``region`` is the region's code, e.g. ``ap-southeast-1``.
WORKSPACE_URL_TEMPLATE = "https://{workspace_id}.{region}.maas.aliyuncs.com/compatible-mode/v1"
DEFAULT_REGION = "singapore"

_WORKSPACE_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass(frozen=True)
class Region:
    """One Model Studio region: its name here, its code in workspace hosts, and its classic host if any."""

    name: str
    code: str
    classic_url: str | None
    aliases: tuple[str, ...] = ()

    def workspace_url(self, workspace_id: str) -> str:
        """The workspace endpoint of ``workspace_id`` in this region.

        Example:
            >>> get_region("tokyo").workspace_url("ws-1")
            'https://ws-1.ap-northeast-1.maas.aliyuncs.com/compatible-mode/v1'
        """
        return WORKSPACE_URL_TEMPLATE.format(workspace_id=check_workspace_id(workspace_id), region=self.code)


#: The six workspace regions (reference, "Corrections and additions (2026-12)"), the two classic ones first.
ALL_REGIONS: tuple[Region, ...] = (
    Region("singapore", "ap-southeast-1", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", ("intl", "sg")),
    Region("beijing", "cn-beijing", "https://dashscope.aliyuncs.com/compatible-mode/v1", ("cn", "china")),
    Region("virginia", "us-east-1", "https://dashscope-us.aliyuncs.com/compatible-mode/v1", ("us",)),
    Region("hong-kong", "cn-hongkong", None, ("hongkong", "hk")),
    Region("frankfurt", "eu-central-1", None, ("eu",)),
    Region("tokyo", "ap-northeast-1", None, ("jp",)),
)

#: Region name -> classic compatible-mode base URL (the regions that have one).
REGIONS: dict[str, str] = {r.name: r.classic_url for r in ALL_REGIONS if r.classic_url is not None}

_BY_NAME: dict[str, Region] = {
    key: region for region in ALL_REGIONS for key in (region.name, region.code, *region.aliases)
}


def region_names() -> tuple[str, ...]:
    """Every name and code a region may be given by, e.g. for a command-line choice.

    Example:
        >>> region_names()[:4]
        ('singapore', 'ap-southeast-1', 'intl', 'sg')
    """
    return tuple(_BY_NAME)


def get_region(name: str) -> Region:
    """The region called ``name`` (its name, its code such as ``eu-central-1``, or an alias), any case.

    Raises:
        InvalidRequestError: no region has that name.
    """
    region = _BY_NAME.get(name.strip().lower().replace("_", "-"))
    if region is None:
        known = ", ".join(f"{r.name} ({r.code})" for r in ALL_REGIONS)
        raise InvalidRequestError(f"Unknown region {name!r}; use one of {known}, or pass base_url.")
    return region


def check_workspace_id(workspace_id: str) -> str:
    """``workspace_id`` if it can be a host name label, else an error naming what it should look like."""
    if not _WORKSPACE_ID.fullmatch(workspace_id):
        shown = workspace_id if len(workspace_id) <= 40 else workspace_id[:40] + "..."
        raise InvalidRequestError(
            f"workspace_id must be a Model Studio workspace ID (letters, digits and hyphens, as the console "
            f"shows it); got {shown!r}."
        )
    return workspace_id


def resolve_base_url(base_url: str | None = None, region: str | None = None, workspace_id: str | None = None) -> str:
    """The base URL to call, from the arguments first and then the environment.

    In order: ``base_url``; else ``DASHSCOPE_BASE_URL`` when neither ``region`` nor ``workspace_id`` is
    given; else, in ``region`` (Singapore by default), the workspace endpoint of ``workspace_id`` (or of
    ``DASHSCOPE_WORKSPACE_ID``) if there is one, or the region's classic host. Hong Kong, Frankfurt and Tokyo
    have only workspace endpoints. A workspace ID belongs to one region: name that region.

    Raises:
        InvalidRequestError: an unknown region, a malformed workspace ID, or a region without a classic host and
            no workspace ID.

    Example:
        >>> resolve_base_url(region="ap-southeast-1", workspace_id="ws-9")
        'https://ws-9.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1'
    """
    if base_url:
        return base_url.rstrip("/")
    workspace = workspace_id or (os.environ.get(WORKSPACE_ID_ENV) or "").strip() or None
    if workspace_id is None and region is None and os.environ.get(BASE_URL_ENV):
        return os.environ[BASE_URL_ENV].rstrip("/")
    chosen = get_region(region or DEFAULT_REGION)
    if workspace is not None:
        return chosen.workspace_url(workspace)
    if chosen.classic_url is None:
        raise InvalidRequestError(
            f"The {chosen.name} region ({chosen.code}) is served only by workspace endpoints: pass "
            f"workspace_id=... (or set {WORKSPACE_ID_ENV}), or pass base_url."
        )
    return chosen.classic_url


__all__ = [
    "ALL_REGIONS",
    "BASE_URL_ENV",
    "DEFAULT_REGION",
    "REGIONS",
    "WORKSPACE_ID_ENV",
    "WORKSPACE_URL_TEMPLATE",
    "Region",
    "check_workspace_id",
    "get_region",
    "region_names",
    "resolve_base_url",
]
