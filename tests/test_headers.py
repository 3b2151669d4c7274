"""The page's script policy allows Gradio's inline scripts by hash, and nothing else inline."""

from __future__ import annotations

import base64
import hashlib

from qa.web.headers import policy


def sha(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


def test_inline_scripts_of_the_page_are_allowed_by_hash() -> None:
    page = b'<script>window.config = 1</script><script type="module" src="./app.js"></script><SCRIPT>x()</SCRIPT>'
    found = policy(page).decode()
    script_src = found.split("script-src")[1].split(";")[0]
    assert sha(b"window.config = 1") in script_src
    assert sha(b"x()") in script_src
    assert script_src.count("sha256-") == 2, "a script loaded from a file needs no hash"
    assert "'unsafe-inline'" not in script_src


def test_without_a_page_no_inline_script_is_allowed() -> None:
    found = policy().decode()
    assert "sha256-" not in found
    assert "img-src 'self' data: blob:;" in found, "no image from another site"
    assert "frame-ancestors 'none'" in found
