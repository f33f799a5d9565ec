"""A kbsearch webhook receiver: check the signature over the raw body, drop repeats, hand the case on."""
import hashlib, hmac, json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["WEBHOOK_SECRET"].encode()
seen: set[str] = set()  # delivery ids already handled: delivery is at least once

class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-Kbsearch-Signature-256", "")):
            return self.send_error(401, "bad signature")
        event = json.loads(body)
        if event["id"] not in seen:  # here: create or update the ticket in your help desk
            seen.add(event["id"])
            print(event["event"], event["case"]["number"], event["case"]["subject"], flush=True)
        self.send_response(204), self.end_headers()

HTTPServer(("127.0.0.1", int(os.environ.get("PORT", 8080))), Hook).serve_forever()
