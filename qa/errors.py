"""Exceptions a user can act on; the CLI and app turn them into clean messages."""


class QAError(Exception):
    """Base class: anything the user can fix by changing input or setup."""


class ConfigError(QAError):
    """A setting (folder, model, environment variable) is unusable."""


class ModelError(QAError):
    """The embedding model is missing, cannot be loaded, or fails its checksum."""


class IndexMissingError(QAError):
    """There is no index yet; `qa index` builds one."""


class IndexCorruptError(QAError):
    """The index on disk cannot be read or is inconsistent."""


class IndexDamagedError(IndexCorruptError):
    """A file of an index version no longer matches the checksum it was written with."""


class IndexMismatchError(QAError):
    """The index was built by another model or format version."""


class IndexBusyError(QAError):
    """Another process is rebuilding the index."""


class ArticleNotFoundError(QAError):
    """No indexed article has the requested id."""


class QueryError(QAError):
    """The question or query is empty or unusable."""


class IndexWriteError(QAError):
    """Writing a new index version failed; the previous version is untouched."""


class AnswerModelError(QAError):
    """The learned answer model's weights are missing, damaged or of another format."""


class StoreUnavailableError(QAError):
    """The store's server (Qdrant) cannot be reached or refused a request."""


class WorkerError(QAError):
    """Embedding on Ray workers failed (a worker could not load the model, or died)."""
