#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The registry of the local-cloud services: one module each, listed here.

Each module defines one ``base.Service`` subclass whose class attributes say
everything about the service (order, backing, ports, start timeout). A module
that cannot be imported, or defines no service, is an error: the cloud never
comes up without one of its services.
"""
import functools
import importlib
import inspect

from localcloud.services import base

# Which services the cloud has; their start order is their ``order``.
MODULES = ('aodh', 'ceilometer', 'etcd', 'heat', 'horizon', 'keystone',
           'mariadb', 'memcached', 'qinling', 'rabbitmq')
PACKAGE = 'localcloud.services'


def service_class(module):
    """The Service subclass defined in ``module``."""
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if (issubclass(obj, base.Service) and obj is not base.Service
                and obj.__module__ == module.__name__ and obj.name):
            return obj
    raise LookupError(
        '%s defines no Service subclass with a name' % module.__name__
    )


@functools.lru_cache(maxsize=None)
def service_classes(modules=None):
    """The Service classes of ``modules`` (names under this package, or dotted
    module paths; default ``MODULES``), in start order. Raises ImportError or
    LookupError for a broken module, ValueError for clashing facts."""
    classes = []
    for name in modules or MODULES:
        module = importlib.import_module(
            name if '.' in name else PACKAGE + '.' + name
        )
        classes.append(service_class(module))
    for cls in classes:
        if cls.order is None:
            raise ValueError('service %s has no order' % cls.name)
    classes.sort(key=lambda cls: cls.order)
    _check_unique('service name', [(c.name, c.name) for c in classes])
    _check_unique('start order', [(c.order, c.name) for c in classes])
    _check_unique('port name', [(p, c.name) for c in classes for p in c.ports])
    _check_unique(
        'port offset', [(o, c.name) for c in classes for o in c.ports.values()]
    )
    return tuple(classes)


def _check_unique(what, pairs):
    seen = {}
    for value, owner in pairs:
        if value in seen:
            raise ValueError('%s %r is claimed by both %s and %s'
                             % (what, value, seen[value], owner))
        seen[value] = owner


def load_services(modules=None):
    """Service instances in start order (see ``service_classes``)."""
    return [
        cls() for cls in service_classes(tuple(modules) if modules else None)
    ]


def port_offsets():
    """Listener name -> offset from the base port, for every service."""
    return {name: offset for cls in service_classes()
            for name, offset in cls.ports.items()}
