import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * moto's server with three of its per-request costs taken out for a long run (bench only: the
 * product and the tests run moto as it is):
 *
 * 1. It lists its own package directory on every request to route it (under a global lock): the
 *    listing is cached.
 * 2. It logs every request line: the request log is quieted.
 * 3. DynamoDB TransactWriteItems deep-copies every table it touches before it starts, to put the
 *    copy back if the transaction is cancelled (moto/dynamodb/models/__init__.py,
 *    transact_write_items). With a state table of a few thousand items that copy takes seconds and
 *    dominates a sweep (every unit is counted by a transaction). The patch copies only the items the
 *    transaction names instead, and puts those back on a cancellation.
 *
 * Why (3) cannot change a result: a transaction writes only the items it names, so restoring those
 * items restores everything it changed. The whole-table copy differs only when another request
 * commits between the copy and the rollback — then moto's rollback also erases that request's
 * acknowledged write, which DynamoDB never does (test/support/repro-moto-transaction-rollback.ts).
 * The benches send DynamoDB requests one at a time (the fault proxy's `serialize`), so that case
 * does not arise and both versions leave the same table; the patched one is what DynamoDB does.
 *
 * And two things a long run on a shared machine needs: a stopping signal is reported on stderr with
 * its sender's pid and command line before the server exits (128 + the signal's number), so a moto
 * that goes away mid-run says who stopped it; and the server exits when its owner is gone (it runs
 * in its own process group, so nothing else would end it).
 */
const LAUNCHER = `
import os
import signal
import sys
import threading
import time

# Who stopped this server, on stderr before it goes: its owner prints the tail when moto goes away
# unasked (packages/cli/src/moto.ts). The stopping signals are blocked in every thread (the server's
# threads inherit the mask) and taken by one thread that learns the sender's pid.
_STOPPING = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
_OWNER = os.getppid()


def _command_of(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as cmdline:
            return cmdline.read().replace(b'\\0', b' ').decode(errors='replace').strip()[:300] or '?'
    except OSError:
        return 'no longer running'


def _report_stopping_signal():
    info = signal.sigwaitinfo(_STOPPING)
    sys.stderr.write(
        f'moto (pid {os.getpid()}): {signal.Signals(info.si_signo).name} from pid {info.si_pid} '
        f'({_command_of(info.si_pid)}) at {time.strftime("%H:%M:%S", time.gmtime())} UTC\\n'
    )
    sys.stderr.flush()
    os._exit(128 + info.si_signo)


def _exit_with_owner():
    # Its own process group, so nothing ends it with its owner: a killed owner must not leave it behind.
    while os.getppid() == _OWNER:
        time.sleep(2)
    sys.stderr.write(f'moto (pid {os.getpid()}): its owner (pid {_OWNER}) is gone, exiting\\n')
    sys.stderr.flush()
    os._exit(1)


threading.Thread(target=_report_stopping_signal, daemon=True).start()
threading.Thread(target=_exit_with_owner, daemon=True).start()

import copy as _copy
import logging

import moto.backends as backends

modules = list(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: modules
logging.getLogger('werkzeug').setLevel(logging.ERROR)

import moto.dynamodb.models as ddb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


class _CopyButNotTables:
    """moto.dynamodb.models' \`copy\` module, except that the transaction's table backup is the table itself."""

    def deepcopy(self, value, memo=None):
        return value if isinstance(value, Table) else _copy.deepcopy(value, memo)


ddb_models.copy = _CopyButNotTables()
_transact_write_items = DynamoDBBackend.transact_write_items


def _named_items(backend, transact_items):
    """(table, hash, range, copy of the item or None) for every item the transaction names."""
    saved = []
    for entry in transact_items:
        operation = next(iter(entry.values()))
        table = backend.tables.get(operation.get('TableName'))
        key = operation.get('Item') if 'Item' in operation else operation.get('Key')
        if table is None or not key or table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in key:
                continue
            range_value = DynamoType(key[table.range_key_attr])
        saved.append((table, hash_value, range_value, _copy.deepcopy(table.get_item(hash_value, range_value))))
    return saved


def transact_write_items(self, transact_items):
    saved = _named_items(self, transact_items)
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        # Cancelled: the named items as they were before the transaction, nothing else touched.
        for table, hash_value, range_value, item in reversed(saved):
            if item is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = item
            else:
                table.items[hash_value] = item
        raise


DynamoDBBackend.transact_write_items = transact_write_items

# Keep-alive: one server thread per connection instead of one per request.
from werkzeug.serving import WSGIRequestHandler

WSGIRequestHandler.protocol_version = 'HTTP/1.1'
from moto.server import main

main(sys.argv[1:])
`;

/** A `python` shim whose `-m moto.server` starts the patched server above (startMoto's `python` option). */
export function fastMotoPython(): string {
  const python = process.env.DRIFTGUARD_PYTHON ?? 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'driftguard-bench-moto-'));
  const script = join(dir, 'moto_fast.py');
  writeFileSync(script, LAUNCHER.trimStart());
  const shim = join(dir, 'python');
  writeFileSync(
    shim,
    `#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "moto.server" ]; then shift 2; exec ${python} ${script} "$@"; fi\nexec ${python} "$@"\n`,
  );
  chmodSync(shim, 0o755);
  return shim;
}
