#!/usr/bin/env python3
"""A browser app against serve: headless Chromium, a page on another origin, CORS for real.

Starts `createlink-conformance serve --profile graph` and a static server for one page on another
loopback port (so another origin), and loads the page in headless Chromium. The page's `fetch`
sends createLink with a bearer token and a JSON body (so the browser sends a preflight first),
reads the Permission, then sends one without a token and reads the 401's `WWW-Authenticate`.
It writes what it saw into the DOM, which Chromium dumps.

Usage: check_cors.py PATH/TO/createlink-conformance [CHROMIUM]
Needs Chromium (Debian: `apt-get install chromium`). Prints one line starting with
"browser check:" and exits 0 when the page could read both answers; otherwise prints
"browser check: FAILED: <what>" with the DOM and serve's log, and exits 1.
"""

import functools
import http.server
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# The serve process helper beside this script's folder (scripts/serve_process.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import serve_process  # noqa: E402


PATH = "/drives/b!browser-drive/items/01BROWSERITEM/createLink"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>createLink from a page</title></head>
<body><pre id="result">pending</pre>
<script>
const show = (text) => { document.getElementById("result").textContent = text; };
(async () => {
  try {
    const url = BASE_URL + PATH;
    const made = await fetch(url, {
      method: "POST",
      headers: {"Authorization": "Bearer browser-check-token", "Content-Type": "application/json"},
      body: JSON.stringify({type: "edit", scope: "organization"}),
    });
    const permission = await made.json();
    const refused = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({type: "view"}),
    });
    const error = await refused.json();
    show(JSON.stringify({
      status: made.status,
      type: permission.link && permission.link.type,
      scope: permission.link && permission.link.scope,
      roles: permission.roles,
      id: permission.id,
      refusedStatus: refused.status,
      refusedCode: error.error && error.error.code,
      challenge: refused.headers.get("WWW-Authenticate"),
    }));
  } catch (e) {
    show("error: " + e);
  }
})();
</script></body></html>
"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The page's fetches finish within the budget; the DOM is dumped once they have.
    "--virtual-time-budget=20000",
    "--dump-dom",
]


class Failed(Exception):
    pass


def serve_page(folder):
    """A static server for `folder` on a free loopback port, in a thread."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=folder)
    page_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    return page_server


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    chromium = argv[2] if len(argv) == 3 else (shutil.which("chromium") or "chromium")
    serve, log, dom = None, [], ""
    started = time.monotonic()
    try:
        serve, url, log, drain = serve_process.start(argv[1], Failed)
        with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as profile:
            page = PAGE.replace("BASE_URL + PATH", f"{url!r} + {PATH!r}")
            with open(f"{folder}/page.html", "w") as f:
                f.write(page)
            page_server = serve_page(folder)
            page_url = f"http://127.0.0.1:{page_server.server_address[1]}/page.html"
            try:
                done = subprocess.run(
                    [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", page_url],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            except FileNotFoundError:
                raise Failed(f"no Chromium at {chromium!r}: apt-get install chromium")
            except subprocess.TimeoutExpired:
                raise Failed("Chromium did not finish within 120 s")
            finally:
                page_server.shutdown()
            dom = done.stdout
        serve.send_signal(signal.SIGTERM)
        serve.wait(10)
        drain.join(5)
        import json
        import re

        found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
        result = found.group(1) if found else ""
        if not result.startswith("{"):
            raise Failed(f"the page could not read the answers: {result or 'no result in the DOM'!r}")
        seen = json.loads(result.replace("&quot;", '"').replace("&amp;", "&"))
        expected = {
            "status": 201,
            "type": "edit",
            "scope": "organization",
            "roles": ["write"],
            "refusedStatus": 401,
            "refusedCode": "InvalidAuthenticationToken",
        }
        for key, value in expected.items():
            if seen.get(key) != value:
                raise Failed(f"the page saw {key} = {seen.get(key)!r}, not {value!r}")
        if not (seen.get("challenge") or "").startswith("Bearer "):
            raise Failed(f"the page could not read the 401's WWW-Authenticate: {seen.get('challenge')!r}")
        text = "".join(log)
        if "-> 204 CORS preflight" not in text:
            raise Failed("serve logged no CORS preflight")
    except (Failed, Exception) as e:  # noqa: BLE001 - whatever went wrong is reported, loudly
        if not isinstance(e, Failed):
            e = f"{type(e).__name__}: {e}"
        serve_process.kill(serve)
        print(f"browser check: FAILED: {e}\nDOM:\n{dom}\nserve's log:\n{''.join(log)}", file=sys.stderr)
        print(f"browser check: FAILED: {e}")
        return 1
    print(
        f"browser check: ok: a page on another origin created an edit link (201) and read a 401's "
        f"challenge through serve's CORS, in {time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
