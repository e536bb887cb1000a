"""Where requests go: the classic regional hosts, the six workspace regions, and the environment variables."""

from __future__ import annotations

import pytest

import qwen_omni
from qwen_omni import client as client_module
from qwen_omni.cli import build_parser
from qwen_omni.client import OmniClient
from qwen_omni.endpoints import ALL_REGIONS, REGIONS, get_region, resolve_base_url
from qwen_omni.errors import InvalidRequestError
from qwen_omni.profiles import SERIES

SG = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
BJ = "https://dashscope.aliyuncs.com/compatible-mode/v1"
US = "https://dashscope-us.aliyuncs.com/compatible-mode/v1"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    monkeypatch.delenv("DASHSCOPE_WORKSPACE_ID", raising=False)


# The reference's workspace regions, as the workspace host spells them (2026-12).
WORKSPACE_REGIONS = ["ap-southeast-1", "us-east-1", "cn-beijing", "cn-hongkong", "eu-central-1", "ap-northeast-1"]


@pytest.mark.parametrize("code", WORKSPACE_REGIONS)
def test_workspace_endpoint_in_every_region(code: str) -> None:
    expected = f"https://ws-42.{code}.maas.aliyuncs.com/compatible-mode/v1"
    assert resolve_base_url(region=code, workspace_id="ws-42") == expected
    assert resolve_base_url(region=get_region(code).name, workspace_id="ws-42") == expected


def test_the_six_regions_and_their_classic_hosts() -> None:
    assert sorted(r.code for r in ALL_REGIONS) == sorted(WORKSPACE_REGIONS)
    assert REGIONS == {"singapore": SG, "beijing": BJ, "virginia": US}
    assert resolve_base_url() == SG
    assert resolve_base_url(region="beijing") == resolve_base_url(region="CN-Beijing") == BJ
    assert resolve_base_url(region="sg") == resolve_base_url(region="ap-southeast-1") == SG
    assert resolve_base_url(region="us-east-1") == US


@pytest.mark.parametrize("region", ["frankfurt", "tokyo", "hong-kong", "cn-hongkong"])
def test_regions_without_a_classic_host_need_a_workspace(region: str) -> None:
    with pytest.raises(InvalidRequestError, match="served only by workspace endpoints: pass workspace_id="):
        resolve_base_url(region=region)


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_WORKSPACE_ID", "ws-env")
    assert resolve_base_url() == "https://ws-env.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1"
    assert resolve_base_url(region="tokyo") == "https://ws-env.ap-northeast-1.maas.aliyuncs.com/compatible-mode/v1"
    assert (
        resolve_base_url(workspace_id="ws-arg") == "https://ws-arg.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1"
    )
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://127.0.0.1:1/v1/")
    assert resolve_base_url() == "http://127.0.0.1:1/v1", "a whole base URL in the environment wins over the rest"
    assert resolve_base_url(region="beijing").startswith("https://ws-env.cn-beijing.")
    assert resolve_base_url("http://x/v1/", region="tokyo", workspace_id="ws") == "http://x/v1"


@pytest.mark.parametrize("bad", ["", "ws 1", "ws.evil.com/x", "-ws", "a" * 64, "ws_1"])
def test_a_malformed_workspace_id_is_refused(bad: str) -> None:
    with pytest.raises(InvalidRequestError, match="workspace_id must be a Model Studio workspace ID"):
        get_region("singapore").workspace_url(bad)
    if bad:
        with pytest.raises(InvalidRequestError):
            resolve_base_url(workspace_id=bad)


def test_unknown_region() -> None:
    with pytest.raises(ValueError, match=r"Unknown region 'mars'.*frankfurt \(eu-central-1\)"):
        resolve_base_url(region="mars")


def test_client_and_adapters_take_a_workspace_id() -> None:
    client = OmniClient(api_key="sk-secret", region="frankfurt", workspace_id="ws-7")
    assert client.base_url == "https://ws-7.eu-central-1.maas.aliyuncs.com/compatible-mode/v1"
    assert "sk-secret" not in repr(client)
    from langchain_qwen_omni import ChatQwenOmni
    from llama_index_qwen_omni import QwenOmni

    llm = ChatQwenOmni(api_key="sk-test", region="tokyo", workspace_id="ws-8")
    assert llm._client.base_url == "https://ws-8.ap-northeast-1.maas.aliyuncs.com/compatible-mode/v1"
    li = QwenOmni(api_key="sk-test", region="hong-kong", workspace_id="ws-9")
    assert li.client.base_url == "https://ws-9.cn-hongkong.maas.aliyuncs.com/compatible-mode/v1"


def test_compatibility_imports() -> None:
    assert client_module.resolve_base_url is qwen_omni.resolve_base_url is resolve_base_url
    assert client_module.REGIONS is REGIONS


def test_cli_takes_every_region_and_a_workspace() -> None:
    args = build_parser().parse_args(["ask", "-p", "hi", "--region", "eu-central-1", "--workspace-id", "ws-1"])
    assert (args.region, args.workspace_id) == ("eu-central-1", "ws-1")


def test_every_profile_region_is_an_endpoint_region() -> None:
    names = {r.name for r in ALL_REGIONS}
    for entry in SERIES:
        assert set(entry.profile.regions) <= names, entry.profile.name
