"""What both launchers need before and while starting Qinling 5.0.0 on Python 3.11."""
import collections
import collections.abc
import os

from localcloud import util

SCHEMA_LOCK = 'schema.lock'


def apply_shims():
    """Qinling 5.0.0 streams package downloads with ``collections.Iterable``, an alias
    removed in Python 3.10; without it workers cannot fetch function code (500)."""
    if not hasattr(collections, 'Iterable'):
        collections.Iterable = collections.abc.Iterable
    serialise_sqlite()


def serialise_sqlite():
    """Give each process one sqlite connection, handed over between green threads.

    For a sqlite file SQLAlchemy 1.3 opens a connection per session. Under eventlet a
    writer that finds the database locked waits in sqlite's C busy handler, which
    blocks the whole process, so the green thread that holds the lock never commits:
    with ten requests at once, most end in "database is locked" (500). With a
    QueuePool (sized by ``[database] max_pool_size = 1``) the green threads queue for
    the connection cooperatively instead.
    """
    from sqlalchemy import pool
    from sqlalchemy.dialects.sqlite import pysqlite

    default = pysqlite.SQLiteDialect_pysqlite.get_pool_class

    def get_pool_class(cls, url):
        if url.database and url.database != ':memory:':
            return pool.QueuePool
        return default(url)

    pysqlite.SQLiteDialect_pysqlite.get_pool_class = classmethod(get_pool_class)


def parse_config(argv, extra_opts=None):
    """Parse qinling.conf (``--config-file``) into oslo.config's global CONF."""
    from oslo_config import cfg
    from oslo_log import log as logging
    from qinling import config

    for register in extra_opts or ():
        register(cfg.CONF)
    config.parse_args(args=list(argv))
    logging.setup(cfg.CONF, 'qinling')
    return cfg.CONF


def create_schema(conf):
    """Create the tables (create_all), one process at a time.

    ``qinling-db-manage upgrade head`` fails on sqlite (migration 003 alters a column),
    so the schema comes from the models, as Qinling's own ``setup_db`` does. api and
    engine start together and would race on an empty database without the lock.
    """
    from qinling.db import api as db_api

    lock_path = os.path.join(os.path.dirname(os.path.abspath(conf.config_file[0])),
                             SCHEMA_LOCK)
    with util.file_lock(lock_path):
        db_api.setup_db()
