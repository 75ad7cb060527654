"""A real HTTP receiver for webhook tests: a threaded http.server on 127.0.0.1.

Each path is one agency's receiver. It records every POST (headers, body, time) and answers by a
script: a list of behaviours used one per request ("ok", "500", "slow" = answer after
``slow_seconds``), then "ok" for ever. Like a careful receiver, it verifies the signature and
processes each event id once (``processed``), however often it is sent.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    slow_seconds: float = 6.0
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    processed: dict[str, list[dict]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> str:
        return self.url + path

    def deliveries(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def handle(self, path: str, headers: dict, body: bytes) -> tuple[int, float]:
        with self.lock:
            self.received.append(Received(path, headers, body))
            script = self.scripts.get(path) or []
            behaviour = script.pop(0) if script else "ok"
        if behaviour == "500":
            return 500, 0.0
        # "slow": the event is processed, but the answer comes after the sender gave up waiting.
        delay = self.slow_seconds if behaviour == "slow" else 0.0
        secret = self.secrets.get(path)
        if secret is not None:
            try:
                event = Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                return 401, delay
            with self.lock:
                seen = self.processed.setdefault(path, [])
                if event["id"] not in {e["id"] for e in seen}:
                    seen.append(event)
        return 204, delay


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    holder: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status, delay = holder["receiver"].handle(self.path, dict(self.headers), body)
            if delay:
                time.sleep(delay)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    holder["receiver"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
