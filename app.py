"""corpus-qa in the browser. Until the chat lands, a search page over the live index.

Run with `make run` (or `python app.py --host 127.0.0.1 --port 7860`); `gradio app.py`
reload mode also works, since `demo` is a module-level Blocks.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

import gradio as gr

from qa.engine import Engine
from qa.errors import QAError
from qa.settings import Settings, force_offline

log = logging.getLogger("qa.app")


def make_demo(engine: Engine) -> gr.Blocks:
    def search(query: str, k: float) -> dict[str, Any]:
        """The same JSON as `qa search --json`; errors become a message, not a traceback."""
        try:
            return engine.search(query, k=int(k)).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    with gr.Blocks(title="corpus-qa") as blocks:
        gr.Markdown("# corpus-qa\nSearch the indexed articles. Cited answers arrive with the chat.")
        with gr.Row():
            query = gr.Textbox(label="Query", placeholder="Which aircraft carried out the strikes?", scale=4)
            k = gr.Slider(1, 20, value=5, step=1, label="Passages")
        results = gr.JSON(label="Passages")
        gr.on([query.submit], search, [query, k], results, api_name="search")
    return blocks


force_offline()
demo = make_demo(Engine(Settings.from_env()))

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve corpus-qa in the browser.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    demo.launch(server_name=args.host, server_port=args.port, max_file_size="5mb")
