"""A loopback line-protocol sink for the gateway load test: answers every POST with 204.

Stands in for the database (Datalayers' `POST /write?db=`) so the gateway pays for its whole
write path (HTTP client, connection reuse, request bodies) without a real database's cost
landing on the same two cores. It reads each body completely (so the gateway's write really
happens) and counts requests, bytes and lines; on SIGTERM it prints one JSON line with the
counts and exits.

    python3 benches/http_sink.py PORT
"""

import gzip
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {"requests": 0, "bytes": 0, "lines": 0}
lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the gateway's client expects

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        with lock:
            counts["requests"] += 1
            counts["bytes"] += len(body)
            counts["lines"] += body.count(b"\n")
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):  # a readiness probe
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):  # no line per request
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
    server.daemon_threads = True

    def stop(*_):
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
