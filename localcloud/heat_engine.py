"""heat-engine for the local cloud: on sqlite, each transaction takes the write lock first.

oslo.db starts sqlite transactions with a deferred ``BEGIN``. heat-engine's threads
read, then write, in one transaction; when two do that at once neither can upgrade its
lock, and sqlite answers "database is locked" at once (a deadlock: the busy timeout
does not help). A stack of 90 resources failed that way. ``BEGIN IMMEDIATE`` makes a
transaction wait, up to the connection's busy timeout, for the write lock before it
reads. Production runs Heat on MySQL, where none of this applies.

Run as ``python -m localcloud.heat_engine --config-file heat.conf``.
"""
import re
import sys

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, 'begin')
def _begin_immediate(conn):
    # Class-level listeners run before oslo.db's per-engine one, which emits a plain
    # BEGIN unless this marker (its own) says a transaction has begun.
    if conn.dialect.name == 'sqlite' and 'in_transaction' not in conn.info:
        conn.exec_driver_sql('BEGIN IMMEDIATE')
        conn.info['in_transaction'] = True


def main():
    from heat.cmd import engine
    sys.argv[0] = re.sub(r'\.py$', '', sys.argv[0])
    return engine.main()


if __name__ == '__main__':
    sys.exit(main())
