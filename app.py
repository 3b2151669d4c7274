"""corpus-qa in the browser: ask with follow-ups, read the cited paragraphs, manage articles.

Run with `make run` (or `python app.py --host 127.0.0.1 --port 7860`); `gradio app.py`
reload mode also works, since `demo` is a module-level Blocks. The page is laid out in
qa/web/layout.py; its handlers (qa/web/chat.py, corpus.py, api.py) parse, call the engine
and render through qa/present.py, which escapes all article text.
"""

from __future__ import annotations

import argparse
import logging
import os

import gradio as gr
from starlette.middleware import Middleware

from qa.access import AdminGate, OriginGuard
from qa.engine import Engine
from qa.reader import MAX_FILE_BYTES
from qa.settings import force_offline
from qa.web import layout
from qa.web.headers import SecurityHeaders
from qa.web.serving import CONCURRENCY, QUEUE_SIZE, limit_malloc_arenas, serving_settings
from qa.web.style import CSS, PAGE_JS, THEME

force_offline()
engine = Engine(serving_settings())
demo: gr.Blocks
demo = layout.build(
    engine,
    AdminGate(os.environ.get("QA_ADMIN_PASSWORD"), lambda: demo.server_name or os.environ.get("GRADIO_SERVER_NAME")),
)
demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY, api_open=False)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve corpus-qa in the browser.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    limit_malloc_arenas()
    engine.warm_up()
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        max_file_size=MAX_FILE_BYTES,
        css=CSS,
        js=PAGE_JS,
        theme=THEME,
        app_kwargs={"middleware": [Middleware(SecurityHeaders), Middleware(OriginGuard)]},
    )
