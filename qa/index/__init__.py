"""The folder index: FAISS + bm25s + SQLite versions, written whole and switched atomically."""
