"""The README's real embedding for a LlamaIndex index, DashScope's ``text-embedding-v4`` through
``OpenAILikeEmbedding``, built exactly as the README builds it and pointed at a local server that keeps Model
Studio's documented limits for that model (at most 10 texts a request, 1,024 dimensions by default), so that the
batching the README sets is proven on the wire, not assumed."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex

README = Path(__file__).resolve().parents[2] / "README.md"
#: Model Studio, text embedding (synchronous API): text-embedding-v4 takes at most 10 rows a request.
MAX_ROWS = 10
DIMENSIONS = 1024


class _Embeddings(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        rows = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if len(rows) > MAX_ROWS or body.get("model") != "text-embedding-v4":
            self._send(400, {"error": {"code": "InvalidParameter", "message": "batch size is invalid"}})
            return
        data = [
            {"object": "embedding", "index": i, "embedding": [0.001 * (i + 1)] * DIMENSIONS} for i in range(len(rows))
        ]
        self._send(
            200,
            {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}},
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Handler", (_Embeddings,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/compatible-mode/v1", received
    finally:
        httpd.shutdown()
        thread.join()


def _readme_block() -> str:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.S) if "OpenAILikeEmbedding" in b]
    assert len(blocks) == 1
    return blocks[0]


def test_the_readme_embedding_indexes_documents_within_the_documented_batch(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, received = server
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-embed")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", base_url)
    previous = Settings._embed_model
    try:
        exec(compile(_readme_block(), "README.md (embedding)", "exec"), {"__name__": "__readme__"})
        documents = [Document(text=f"Segment {i}: someone speaks about item {i}.") for i in range(23)]
        index = VectorStoreIndex.from_documents(documents)
        found = index.as_retriever(similarity_top_k=2).retrieve("item 7")
    finally:
        Settings._embed_model = previous
    assert found and len(received) >= 4
    assert all(r["path"] == "/compatible-mode/v1/embeddings" and r["auth"] == "Bearer sk-embed" for r in received)
    assert all(len(r["body"]["input"]) <= MAX_ROWS for r in received)
    assert sum(len(r["body"]["input"]) for r in received[:-1]) == 23  # every document once, then the query
