"""What both launchers need before and while starting Qinling 5.0.0 on Python 3.11."""
import collections
import collections.abc


def apply_shims():
    """Qinling 5.0.0 streams package downloads with ``collections.Iterable``, an alias
    removed in Python 3.10; without it workers cannot fetch function code (500)."""
    if not hasattr(collections, 'Iterable'):
        collections.Iterable = collections.abc.Iterable


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
