"""Shared fixtures: where the corpora and seeds are (skipping with a reason when absent), a tiny trained
model, a local web server."""

from __future__ import annotations

import pytest

from clausetag.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="session")
def corpora_root(settings):
    if not (settings.corpora / "opp115").is_dir() or not (settings.corpora / "capp130").is_dir():
        pytest.skip(f"corpora not found at {settings.corpora} (set CLAUSETAG_CORPORA)")
    return settings.corpora


@pytest.fixture(scope="session")
def seeds_dir(settings):
    if not settings.seeds.is_dir():
        pytest.skip(f"seed policies not found at {settings.seeds} (set CLAUSETAG_SEEDS)")
    return settings.seeds


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny fine-tuned model trained on the seed annotations (about a minute on 2 cores)."""
    from clausetag.train.config import load_config
    from clausetag.train.run import train

    from pathlib import Path

    cfg = load_config(Path(__file__).parent / "data" / "tiny_seeds.toml")
    path, metrics = train(cfg, tmp_path_factory.mktemp("models") / "tiny")
    return path


@pytest.fixture
def web(monkeypatch):
    """A local web server: path -> (status, Content-Type, body); its base address. Requests to it bypass
    any proxy the environment names (in this process and the commands it starts)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")

    routes: dict[str, tuple[int, str, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, ctype, body = routes.get(self.path, (404, "text/plain", b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield routes, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
