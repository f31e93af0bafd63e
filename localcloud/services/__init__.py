"""The local-cloud services, one module each, and their start order.

Each module defines one ``base.Service`` subclass; ``load_services`` finds it. A module
that does not exist yet or cannot be imported is skipped with a note on stderr, so a
service being written elsewhere slots in as soon as its module imports.
"""
import importlib
import inspect
import sys

from localcloud.services import base

START_ORDER = ['rabbitmq', 'etcd', 'mariadb', 'keystone', 'aodh', 'qinling', 'heat',
               'horizon']
OPTIONAL = {'qinling'}
# the bus, the key-value store and the database: stopped after everything that uses them
BACKING = {'rabbitmq', 'etcd', 'mariadb'}


def service_class(module):
    """The Service subclass defined in ``module``."""
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (issubclass(obj, base.Service) and obj is not base.Service
                and obj.__module__ == module.__name__ and obj.name):
            return obj
    raise LookupError('%s defines no Service subclass with a name' % module.__name__)


def load_services(names=None):
    """Service instances in start order."""
    loaded = []
    for name in names or START_ORDER:
        try:
            module = importlib.import_module('localcloud.services.' + name)
            loaded.append(service_class(module)())
        except Exception as exc:  # noqa: BLE001 - any import failure of an optional service
            if name not in OPTIONAL:
                raise
            print('localcloud: skipping service %s (%s: %s)'
                  % (name, type(exc).__name__, exc), file=sys.stderr)
    return loaded
