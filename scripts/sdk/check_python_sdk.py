#!/usr/bin/env python3
"""An official SDK against `serve --profile graph`: msgraph-sdk for Python, as shipped.

Starts `createlink-conformance serve --profile graph` on a free loopback port, points the SDK at
it (only its base URL changed, a static bearer token), calls createLink on each path below with
view, edit and embed links, a password, an expiry and recipients, and checks the typed
Permission the SDK returns. Then checks that a refusal reaches the caller as a typed ODataError
with Graph's code, message, request id and date, and that serve's summary counts exactly the
requests sent and the refusals asked for.

Usage: check_python_sdk.py PATH/TO/createlink-conformance
Prints one line starting with "msgraph-sdk check:" and exits 0 when every check holds; on the
first mismatch prints "msgraph-sdk check: FAILED: <what>" and serve's log, and exits 1.
"""

import asyncio
import datetime
import json
import signal
import subprocess
import sys
from pathlib import Path

# The serve process helper beside this script's folder (scripts/serve_process.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import serve_process  # noqa: E402

# The createLink paths called (scripts/sdk/paths.json, shared with the JavaScript check). The
# first goes through the SDK's typed request builders; every other one through `with_url`, as the
# SDK documents for paths its builders do not reach (the v1.0 SDK has no `me.drive.items`, for
# one).
_PATHS = json.loads((Path(__file__).resolve().parent / "paths.json").read_text())
PATHS = _PATHS["seed"] + _PATHS["published"]

TOKEN = "sdk-check-token-5d0c81"
PASSWORD = "sdk-check-password-93ae"
EXPIRY = datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
RECIPIENTS = ["ana@contoso.invalid", "bo@contoso.invalid"]
# Each link type asked for, the scope asked with it, and the role Graph gives it.
LINKS = [("view", "anonymous", "read"), ("edit", "organization", "write"), ("embed", "anonymous", "read")]

try:
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.drives.item.items.item.create_link.create_link_post_request_body import (
        CreateLinkPostRequestBody,
    )
    from msgraph.generated.models.drive_recipient import DriveRecipient
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
except ImportError as e:
    print(
        f"msgraph-sdk check: FAILED: the SDK is not installed ({e}); "
        "run it with the Python of a venv made by `pip install -r scripts/sdk/requirements.txt`"
    )
    sys.exit(1)


class Failed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failed(what)


class StaticToken(AccessTokenProvider):
    """A fixed bearer token for any host: the SDK's Azure providers want https and a real
    tenant, and serve is plain http on loopback."""

    def __init__(self, token):
        self.token = token

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self.token

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


def described(error):
    """An ODataError in a line: the status, Graph's code and message."""
    main = error.error
    code, message = (main.code, main.message) if main is not None else (None, None)
    return f"{error.response_status_code} {code}: {message}"


def client(base_url, token):
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token)))
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


def create_link(graph, base_url, path):
    """The SDK's createLink request builder for `path`."""
    parts = path.strip("/").split("/")
    if len(parts) == 5 and parts[0] == "drives" and parts[2] == "items":
        return graph.drives.by_drive_id(parts[1]).items.by_drive_item_id(parts[3]).create_link
    return graph.drives.by_drive_id("-").items.by_drive_item_id("-").create_link.with_url(base_url + path)


def body(link_type, scope):
    return CreateLinkPostRequestBody(
        type=link_type,
        scope=scope,
        password=PASSWORD,
        expiration_date_time=EXPIRY,
        recipients=[DriveRecipient(email=e) for e in RECIPIENTS],
        message="shared by the SDK check",
    )


async def check_links(base_url):
    """Every path, every link type: the typed Permission has what was asked. Returns the number
    of requests sent."""
    sent = 0
    # As shipped, the Python SDK joins a base URL ending in '/' into `/beta//drives/...`: serve
    # takes it as the same path, so both spellings of the base URL are exercised.
    for base in (base_url, base_url + "/"):
        graph = client(base, TOKEN)
        for path in PATHS:
            for link_type, scope, role in LINKS:
                where = f"{path} ({link_type}, base URL {base!r})"
                try:
                    permission = await create_link(graph, base, path).post(body(link_type, scope))
                except ODataError as e:
                    raise Failed(f"{where}: refused: {described(e)}") from e
                sent += 1
                expect(permission is not None, f"{where}: no Permission")
                expect(bool(permission.id), f"{where}: the Permission has no id")
                expect(permission.roles == [role], f"{where}: roles {permission.roles}, not [{role!r}]")
                expect(permission.has_password is True, f"{where}: has_password {permission.has_password}")
                expect(
                    permission.expiration_date_time == EXPIRY,
                    f"{where}: expiration_date_time {permission.expiration_date_time}, not {EXPIRY}",
                )
                link = permission.link
                expect(link is not None, f"{where}: the Permission has no link")
                expect(link.type == link_type, f"{where}: link.type {link.type!r}")
                expect(link.scope == scope, f"{where}: link.scope {link.scope!r}")
                expect(bool(link.web_url), f"{where}: link.web_url is empty")
                if link_type == "embed":
                    expect(
                        (link.web_html or "").startswith("<iframe"),
                        f"{where}: an embed link's web_html is {link.web_html!r}",
                    )
    return sent


async def check_refusals(base_url):
    """A refusal reaches the caller as a typed ODataError, with Graph's fields."""
    path = PATHS[0]
    cases = [
        # A link type the document does not have: 400.
        (client(base_url, TOKEN), CreateLinkPostRequestBody(type="conformance-unknown-type"), 400, "invalidRequest"),
        # No token at all (the provider sends no header for an empty one): 401.
        (client(base_url, ""), CreateLinkPostRequestBody(type="view"), 401, "InvalidAuthenticationToken"),
    ]
    for graph, request, status, code in cases:
        where = f"{path} refused with {status}"
        try:
            got = await create_link(graph, base_url, path).post(request)
        except ODataError as e:
            expect(e.response_status_code == status, f"{where}: status {e.response_status_code}")
            expect(e.error is not None, f"{where}: the ODataError has no error")
            expect(e.error.code == code, f"{where}: code {e.error.code!r}, not {code!r}")
            expect(bool(e.error.message), f"{where}: no message")
            inner = e.error.inner_error
            expect(inner is not None and bool(inner.request_id), f"{where}: no innerError request-id")
            expect(inner.date is not None, f"{where}: no innerError date")
        except Exception as e:  # noqa: BLE001 - any other exception is the finding
            raise Failed(f"{where}: raised {type(e).__name__}, not ODataError: {e}") from e
        else:
            raise Failed(f"{where}: no error raised; the SDK returned {got!r}")
    return len(cases)


def stop(serve, drain):
    serve.send_signal(signal.SIGTERM)
    try:
        code = serve.wait(10)
    except subprocess.TimeoutExpired:
        serve_process.kill(serve)
        raise Failed("serve did not exit within 10 s of SIGTERM")
    drain.join(5)
    expect(code == 0, f"serve exited with {code}")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    import importlib.metadata as meta

    version = meta.version("msgraph-sdk")
    serve = None
    log = []
    try:
        serve, url, log, drain = serve_process.start(argv[1], Failed)
        links = asyncio.run(check_links(url))
        refusals = asyncio.run(check_refusals(url))
        stop(serve, drain)
        text = "".join(log)
        total = links + refusals
        summary = f"{total} requests, {links} answered, {refusals} refused"
        expect(summary in text, f"serve's summary lacks {summary!r}")
        for rule in ("schema", "authorization"):
            expect(f"      1  {rule}" in text, f"serve's summary lacks one {rule} refusal")
        for secret in (TOKEN, PASSWORD):
            expect(secret not in text, "serve's log holds a secret")
    except (Failed, Exception) as e:  # noqa: BLE001 - whatever went wrong is reported, loudly
        if not isinstance(e, Failed):
            e = f"{type(e).__name__}: {e}"
        serve_process.kill(serve)
        print(f"msgraph-sdk check: FAILED: {e}", file=sys.stderr)
        print("serve's log:\n" + "".join(log), file=sys.stderr)
        print(f"msgraph-sdk check: FAILED: {e}")
        return 1
    print(
        f"msgraph-sdk check: ok: msgraph-sdk {version}, {len(PATHS)} path(s), {links} links "
        f"checked field by field, {refusals} refusals received as ODataError"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
