"""The index kept in Qdrant: embedded (Qdrant Edge) or on a server (qdrant-client)."""
