"""moto_server, with DynamoDB's writes made atomic as they are on AWS.

moto evaluates a ConditionExpression and then writes, without a lock, in a
threaded server: two concurrent `PutItem ... version = :v` on one item can
both succeed (measured: 1 pair in 200). DynamoDB itself applies a
conditional write atomically, and Ferry's exactly-once rules lean on that,
so the emulator the tests use must too. This wraps the DynamoDB backend's
writing calls in one lock (reads and other services stay concurrent) and
then runs moto's own server with the same arguments.

    .venv/bin/python scripts/moto_server.py -H 127.0.0.1 -p 5000
"""

import functools
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()


def _atomic(write):
    @functools.wraps(write)
    def locked(*args, **kwargs):
        with _lock:
            return write(*args, **kwargs)

    return locked


for name in WRITES:
    setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
