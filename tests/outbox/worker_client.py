"""A web process, as far as the outbox is concerned: enqueues in a transaction, or sends the drain
task as beat does. Run by the worker tests with their environment:

    python -m tests.outbox.worker_client enqueue LEDGER_DIR SLEEP_AFTER KEY [KEY ...]
    python -m tests.outbox.worker_client kick
"""

import sys

import django


def main(argv: list[str]) -> int:
    django.setup()
    from django.db import transaction

    from portal.outbox import services
    from portal.outbox.tasks import drain_outbox

    command, *arguments = argv
    if command == "enqueue":
        ledger, sleep_after, *keys = arguments
        with transaction.atomic():
            for key in keys:
                services.enqueue(
                    "test.file_ledger", key=key, payload={"ledger": ledger, "sleep_after": float(sleep_after)}
                )
        return 0
    if command == "kick":
        drain_outbox.apply_async(retry=False)
        return 0
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
