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

"""The shape of the local cloud: its import graph and its service registry.

Standard library only (the sources are parsed with ``ast``, the registry is
imported, nothing runs): ``python -m unittest
tests.localcloud.test_structure``.
"""
import ast
import concurrent.futures
import os
import shutil
import sys
import tempfile
import textwrap
import unittest
from unittest import mock
import uuid

from localcloud import lifecycle
from localcloud import services

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PACKAGE = 'localcloud'
# services/ modules that are not services: the contract and the helpers
SERVICE_SUPPORT = {'__init__', 'base', 'common'}


def module_names(root=REPO_DIR, package=PACKAGE):
    """{dotted module name: path} of every Python file of ``package``."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, package)):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(('.', '_'))
        )
        rel = os.path.relpath(dirpath, root).split(os.sep)
        for filename in filenames:
            if not filename.endswith('.py'):
                continue
            stem = filename[:-3]
            parts = rel if stem == '__init__' else rel + [stem]
            found['.'.join(parts)] = os.path.join(dirpath, filename)
    return found


def imports_of(path, modules):
    """The modules of ``modules`` that the file at ``path`` imports.

    Imports at any level count, function-level ones too.
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            # ``from a.b import c``: the module a.b.c if it is one, else a.b
            names = [
                '%s.%s' % (node.module, alias.name) for alias in node.names
            ]
            names = [n if n in modules else node.module for n in names]
        else:
            continue
        targets.update(n for n in names if n in modules)
    return targets


def import_graph(root=REPO_DIR, package=PACKAGE):
    """{module: set of modules of the package it imports}."""
    modules = module_names(root, package)
    return {name: imports_of(path, modules) - {name}
            for name, path in modules.items()}


def find_cycle(graph):
    """One import cycle as [a, b, ..., a], or None."""
    state = {}  # module -> 'open' while on the DFS stack, 'done' after

    def visit(node, stack):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, stack)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


class ImportGraphTest(unittest.TestCase):
    """localcloud/ has no import cycle and its services stand alone."""

    def setUp(self):
        super().setUp()
        self.graph = import_graph()

    def test_the_graph_is_read(self):
        # the parser sees the imports that the layout is made of
        self.assertIn('localcloud.lifecycle', self.graph['localcloud.cli'])
        self.assertIn('localcloud.services.common',
                      self.graph['localcloud.services.keystone'])

    def test_no_cycle(self):
        self.assertIsNone(find_cycle(self.graph))

    def test_a_cycle_is_found(self):
        graph = dict(self.graph)
        graph['localcloud.util.steps'] = graph['localcloud.util.steps'] | {
            'localcloud.cli'}
        cycle = find_cycle(graph)
        self.assertIsNotNone(cycle)
        self.assertEqual(cycle[0], cycle[-1])

    def test_no_service_imports_another(self):
        service_modules = {
            'localcloud.services.' + m for m in services.MODULES
        }
        for module in sorted(service_modules):
            with self.subTest(module=module):
                self.assertEqual(
                    set(), self.graph[module] & (service_modules - {module}))

    def test_every_service_module_is_registered(self):
        # a service module left out of MODULES would silently not run
        on_disk = {n[:-3] for n in os.listdir(
            os.path.join(REPO_DIR, PACKAGE, 'services')) if n.endswith('.py')}
        self.assertEqual(on_disk - SERVICE_SUPPORT, set(services.MODULES))

    def test_nothing_imports_the_command_line(self):
        # cli.py is the command line only: callers use localcloud.lifecycle
        importers = [m for m, deps in self.graph.items()
                     if 'localcloud.cli' in deps]
        self.assertEqual([], importers)


class RegistryTest(unittest.TestCase):
    """services.load_services: the registry of the cloud's services."""

    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp(prefix='localcloud-registry-')
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.package = 'fake_services_%s' % uuid.uuid4().hex[:8]
        os.makedirs(os.path.join(self.root, self.package))
        self.write('__init__', '')
        sys.path.insert(0, self.root)
        self.addCleanup(sys.path.remove, self.root)
        self.addCleanup(self.forget_modules)

    def forget_modules(self):
        for name in [m for m in sys.modules if m.startswith(self.package)]:
            del sys.modules[name]

    def write(self, module, source):
        path = os.path.join(self.root, self.package, module + '.py')
        with open(path, 'w') as f:
            f.write(textwrap.dedent(source))
        return '%s.%s' % (self.package, module)

    def service_module(self, module, name, order, ports):
        return self.write(module, '''
            from localcloud.services import base


            class Fake(base.Service):
                name = %r
                order = %r
                ports = %r
            ''' % (name, order, ports))

    def test_the_cloud_loads_in_start_order(self):
        loaded = services.load_services()
        self.assertEqual(sorted(services.MODULES),
                         sorted(s.name for s in loaded))
        orders = [s.order for s in loaded]
        self.assertEqual(sorted(orders), orders)
        self.assertEqual(['rabbitmq', 'etcd', 'mariadb', 'memcached'],
                         [s.name for s in loaded if s.backing])

    def test_a_broken_module_raises(self):
        good = self.service_module('good', 'good', 1, {'good': 1})
        broken = self.write('broken', '''
            import localcloud_no_such_module  # noqa: F401
            ''')
        self.assertEqual(['good'],
                         [s.name for s in services.load_services([good])])
        self.assertRaises(ImportError, services.load_services,
                          [good, broken])

    def test_a_module_without_a_service_raises(self):
        empty = self.write('empty', 'NAME = "empty"\n')
        self.assertRaises(LookupError, services.load_services, [empty])

    def test_a_port_claimed_twice_raises(self):
        one = self.service_module('one', 'one', 1, {'api': 1})
        two = self.service_module('two', 'two', 2, {'api': 2})
        error = self.assertRaises(ValueError, services.load_services,
                                  [one, two])
        self.assertIn("'api'", str(error))

    def test_an_offset_claimed_twice_raises(self):
        one = self.service_module('one', 'one', 1, {'one-api': 7})
        two = self.service_module('two', 'two', 2, {'two-api': 7})
        self.assertRaises(ValueError, services.load_services, [one, two])

    def assertRaises(self, exc, func, *args):
        with super().assertRaises(exc) as ctx:
            func(*args)
        return ctx.exception


if __name__ == '__main__':
    unittest.main()


class StartOrderTest(unittest.TestCase):
    """A service starts once the backing services it requires are up."""

    def setUp(self):
        super().setUp()
        self.services = services.load_services()

    def required(self, name):
        service = next(s for s in self.services if s.name == name)
        return [s.name for s in lifecycle.requirements(service, self.services)]

    def test_keystone_needs_only_the_database_and_its_cache(self):
        self.assertEqual(['mariadb', 'memcached'], self.required('keystone'))

    def test_horizon_needs_no_backing_service(self):
        self.assertEqual([], self.required('horizon'))

    def test_services_on_the_bus_wait_for_every_backing_service(self):
        every = ['rabbitmq', 'etcd', 'mariadb', 'memcached']
        self.assertEqual({'aodh': every, 'qinling': every, 'heat': every},
                         {n: self.required(n)
                          for n in ('aodh', 'qinling', 'heat')})

    def test_backing_services_wait_for_nothing(self):
        backing = ('rabbitmq', 'etcd', 'mariadb', 'memcached')
        self.assertEqual({n: [] for n in backing},
                         {n: self.required(n) for n in backing})

    def test_an_unknown_requirement_raises(self):
        service = next(s for s in self.services if s.name == 'keystone')
        service.requires = ('redis',)
        self.assertRaises(RuntimeError, lifecycle.requirements, service,
                          self.services)

    def test_nothing_starts_after_a_requirement_failed(self):
        started = []

        class Fake(object):
            name = 'fake'
            backing = False

        failed = concurrent.futures.Future()
        failed.set_exception(RuntimeError('mariadb did not start'))
        with mock.patch.object(lifecycle, '_start_service',
                               lambda cloud, s: started.append(s.name)):
            self.assertRaises(RuntimeError, lifecycle._bring_up, None,
                              Fake(), [failed])
        self.assertEqual([], started)
