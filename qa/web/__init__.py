"""The browser app: handlers over the engine (chat, corpus, API), their layout, and styling.

`app.py` builds the engine and `layout.build` the page; handlers parse, call the engine
and render through qa.present, which escapes all article text.
"""
