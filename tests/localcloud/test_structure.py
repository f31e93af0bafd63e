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

from localcloud import exceptions
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


def string_constants(path):
    """Every string literal of the file at ``path`` (docstrings too)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def compared_constants(path):
    """The string literals the file at ``path`` compares something with.

    As in ``name == 'keystone'`` or ``x in ('a', 'b')``.
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for part in [node.left] + node.comparators:
                found += [n.value for n in ast.walk(part)
                          if isinstance(n, ast.Constant)
                          and isinstance(n.value, str)]
    return found


def argv_lists(path):
    """The string elements of each list literal of the file at ``path``.

    Commands are written as such lists (argv).
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    return [[e.value for e in node.elts if isinstance(e, ast.Constant)]
            for node in ast.walk(tree) if isinstance(node, ast.List)]


def exit_calls(path):
    """Lines of the file at ``path`` that call ``sys.exit`` or ``exit``.

    Calls in an ``if __name__ == '__main__':`` block do not count.
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    guarded = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                and isinstance(node.test.left, ast.Name)
                and node.test.left.id == '__name__'):
            guarded.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in guarded:
            continue
        func = node.func
        name = (func.attr if isinstance(func, ast.Attribute)
                else getattr(func, 'id', None))
        owner = getattr(getattr(func, 'value', None), 'id', None)
        if name == 'exit' and owner in ('sys', None):
            found.append(node.lineno)
    return found


class OwnershipTest(unittest.TestCase):
    """Each service owns its facts; the rest treats services by them."""

    def setUp(self):
        super().setUp()
        self.modules = module_names()
        self.service_names = {s.name for s in services.load_services()}

    def path(self, module):
        return self.modules['localcloud.' + module]

    def test_only_the_command_line_exits(self):
        # library code raises (localcloud.exceptions); cli.py alone turns
        # errors into exit codes (a program's own __main__ block, and a
        # package's __main__ module, may too)
        for module, path in sorted(self.modules.items()):
            if module == 'localcloud.cli' or module.endswith('.__main__'):
                continue
            with self.subTest(module=module):
                self.assertEqual([], exit_calls(path))

    def test_an_exit_is_found(self):
        with tempfile.NamedTemporaryFile('w', suffix='.py') as f:
            f.write('import sys\n\n\ndef f():\n    sys.exit(1)\n\n\n'
                    "if __name__ == '__main__':\n    sys.exit(f())\n")
            f.flush()
            self.assertEqual([5], exit_calls(f.name))

    def test_lifecycle_and_demo_name_no_service(self):
        # they go by declared facts (backing, identity, venv, access_hint)
        for module in ('lifecycle', 'demo'):
            with self.subTest(module=module):
                named = set(compared_constants(self.path(module)))
                self.assertEqual(set(), named & self.service_names)
                self.assertEqual(
                    set(), {m for m in self.modules_imported(module)
                            if m.startswith('localcloud.services.')
                            and m.rsplit('.', 1)[1] in services.MODULES})

    def modules_imported(self, module):
        return import_graph()['localcloud.' + module]

    def test_clients_ask_the_services_for_their_files(self):
        constants = ' '.join(string_constants(self.path('clients')))
        self.assertNotIn('.conf', constants)

    def test_one_authtoken_writer_one_db_sync_one_venv_helper(self):
        # (the venv helper is the one module that runs pip or uv:
        # test_every_venv_is_made_by_the_venv_helper)
        owners = {'www_authenticate_uri': 'services.common',
                  'db-ready': 'services.common'}
        for constant, owner in sorted(owners.items()):
            users = sorted(
                m for m, path in self.modules.items()
                if constant in string_constants(path))
            with self.subTest(constant=constant):
                self.assertEqual(['localcloud.' + owner], users)

    def test_every_venv_is_made_by_the_venv_helper(self):
        # no ``python -m venv`` (which ignored LOCALCLOUD_PYTHON twice), and
        # no pip or uv run (an install into a venv of its own) anywhere else
        # in localcloud/; a string such as a cache directory named "pip" is
        # no command
        for module, path in sorted(self.modules.items()):
            if module == 'localcloud.util.venv':
                continue
            with self.subTest(module=module):
                self.assertEqual([], [
                    c for c in argv_lists(path)
                    if ('venv' in c and '-m' in c)
                    or ('install' in c and '-m' in c)
                    or {'pip', 'uv'} & {os.path.basename(str(a)) for a in c}])

    def test_one_venv_per_name_with_every_service_pin(self):
        loaded = services.load_services()
        cloud = mock.Mock(repo_dir=REPO_DIR)
        plan = lifecycle.venv_plan(cloud, loaded)
        self.assertEqual({'venv', 'qinling-venv', 'horizon-venv'}, set(plan))
        for service in loaded:
            if service.venv:
                with self.subTest(service=service.name):
                    reqs, no_deps, _ = plan[service.venv]
                    self.assertLessEqual(set(service.requirements), set(reqs))
                    self.assertLessEqual(set(service.requirements_no_deps),
                                         set(no_deps))
        self.assertEqual([REPO_DIR], plan['venv'][2])

    def test_one_apt_transaction_for_what_is_missing(self):
        loaded = services.load_services()
        with mock.patch('os.path.exists', return_value=False):
            self.assertEqual(
                sorted(p for s in loaded for p in s.apt_packages),
                lifecycle.missing_apt_packages(loaded))
        with mock.patch('os.path.exists', return_value=True):
            self.assertEqual([], lifecycle.missing_apt_packages(loaded))

    def test_the_services_declare_their_pins(self):
        for service in services.load_services():
            with self.subTest(service=service.name):
                if service.venv:
                    self.assertTrue(service.requirements)
                else:
                    self.assertEqual((), tuple(service.requirements))


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
        self.assertRaises(exceptions.ConfigurationError,
                          lifecycle.requirements, service, self.services)

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
