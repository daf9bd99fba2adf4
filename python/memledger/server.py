"""memledger.status(): a running ``memledger serve``'s books."""
import json
import os

from . import _memledger


def status(socket=None):
    """The books of the server at `socket` (default: memledger.default_socket()) as the summary schema
    (docs/architecture.md, "Summary JSON") plus its "server" section, as a dict — what
    ``memledger status --json`` prints. Raises ConnectionError when no server answers there."""
    if socket is not None:
        socket = os.fspath(socket)
    return json.loads(_memledger._query_summary(socket))
