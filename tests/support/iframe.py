"""Run a session iframe's script (the check_session iframe, Keycloak's login-status
iframe) under Node, as a relying party's window would talk to it.

The script is taken from the page as served; Node supplies WebCrypto, ``TextEncoder``
and ``URL``; the harness supplies ``window`` (its parent is the relying party),
``document.cookie`` and ``fetch`` (answering ``/init`` with ``init_status``). Each
message is posted from ``origin`` and its reply awaited before the next is sent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

NODE = shutil.which("node")

_HARNESS = r"""
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const listeners = [];
const replies = [];
const parent = { postMessage: (message, origin) => replies.push([message, origin]) };
globalThis.window = {
  parent,
  crypto: globalThis.crypto,
  location: { pathname: "/frame", ancestorOrigins: [input.parent], replace() {} },
  addEventListener: (type, listener) => listeners.push(listener),
};
globalThis.document = { cookie: input.cookie, referrer: "" };
const fetched = [];
globalThis.fetch = async (url) => { fetched.push(url); return { status: input.init_status }; };
new Function(input.script)();
(async () => {
  for (const [data, origin] of input.messages) {
    const before = replies.length;
    for (const listener of listeners) { listener({ data, origin, source: parent }); }
    for (let i = 0; i < 100000 && replies.length === before; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (replies.length === before) { replies.push([null, null]); }
  }
  process.stdout.write(JSON.stringify({ replies, fetched }));
})();
"""

_SCRIPT = re.compile(r'<script nonce="[^"]*">(.*)</script>', re.DOTALL)


def page_script(html: str) -> str:
    """The one script of a page."""
    found = _SCRIPT.search(html)
    assert found is not None, html
    return found.group(1)


def talk(
    script: str,
    messages: list[tuple[str, str]],
    *,
    cookie: str,
    parent: str,
    init_status: int = 204,
) -> tuple[list[str | None], list[str]]:
    """The iframe's reply to each ``(data, origin)`` message (None: no reply), and the
    URLs it fetched."""
    assert NODE is not None
    payload = {
        "script": script,
        "messages": messages,
        "cookie": cookie,
        "parent": parent,
        "init_status": init_status,
    }
    out = subprocess.run(
        [NODE, "-e", _HARNESS],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    result = json.loads(out)
    replies: list[str | None] = []
    for (message, origin), (_, sender) in zip(result["replies"], messages, strict=True):
        assert origin in (None, sender), origin  # a reply goes to the sender only
        replies.append(message)
    return replies, result["fetched"]
