"""`createlink-conformance serve` as a child process, for the checks under scripts/ that point a
real client at it (scripts/sdk/check_python_sdk.py, scripts/browser/check_cors.py)."""

import subprocess
import threading


def start(binary, failed):
    """Starts `serve --profile graph` on a free loopback port and waits up to 30 s for its URL.

    Returns (process, base URL, log lines, drain thread): its stderr is drained all along into
    the log, so a chatty server never blocks on a full pipe. Raises `failed` (the calling check's
    exception) with the log when no URL came.
    """
    serve = subprocess.Popen(
        [binary, "serve", "--profile", "graph", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = []
    drain = threading.Thread(target=lambda: log.extend(serve.stderr), daemon=True)
    drain.start()
    found = []
    reader = threading.Thread(target=lambda: found.append(serve.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    url = found[0].strip() if found else ""
    if not url.endswith("/beta"):
        kill(serve)
        drain.join(5)
        raise failed(f"serve printed no URL within 30 s (got {url!r}):\n{''.join(log)}")
    return serve, url, log, drain


def kill(serve):
    """Kills `serve` (None: not started) if it still runs, and reaps it."""
    if serve is not None and serve.poll() is None:
        serve.kill()
        serve.wait()
