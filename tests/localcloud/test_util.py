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

"""localcloud.util: ``write_file``, what ``configure`` relies on at every
``up``, the prelude of the CLI's launcher, and the venv helper.

Standard library only: ``python -m unittest tests.localcloud.test_util``.
"""
import os
import stat
import sys
import tempfile
import textwrap
import threading
import unittest

from localcloud import clients
from localcloud.util import files
from localcloud.util import proc
from localcloud.util import venv


class WriteFileTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.path = os.path.join(self.dir, 'service.conf')
        files.write_file(self.path, '[DEFAULT]\ndebug = true\n', mode=0o600)
        # an mtime the next write would visibly change
        os.utime(self.dir, (1, 1))
        os.utime(self.path, (1, 1))

    def test_same_text_and_mode_leave_file_and_directory_alone(self):
        files.write_file(self.path, '[DEFAULT]\ndebug = true\n', mode=0o600)
        self.assertEqual(1, os.stat(self.dir).st_mtime)
        self.assertEqual(1, os.stat(self.path).st_mtime)

    def test_new_text_is_written(self):
        files.write_file(self.path, '[DEFAULT]\ndebug = false\n', mode=0o600)
        with open(self.path) as f:
            self.assertEqual('[DEFAULT]\ndebug = false\n', f.read())
        self.assertEqual([], [n for n in os.listdir(self.dir)
                              if n.endswith('.tmp')])

    def test_new_mode_is_applied(self):
        files.write_file(self.path, '[DEFAULT]\ndebug = true\n', mode=0o644)
        self.assertEqual(0o644, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_ini_sections_unchanged_leave_file_alone(self):
        ini = os.path.join(self.dir, 'other.conf')
        sections = {'DEFAULT': {'debug': True}, 'api': {'port': 17000}}
        files.write_ini(ini, sections)
        os.utime(self.dir, (1, 1))
        files.write_ini(ini, sections)
        self.assertEqual(1, os.stat(self.dir).st_mtime)
        with open(ini) as f:
            self.assertIn('port = 17000', f.read())


class CliLauncherTest(unittest.TestCase):
    """The launcher's ``import_lazily``, run from the launcher's own text."""

    def setUp(self):
        prelude = clients.CLI_LAUNCHER.split('\nimport_lazily(')[0]
        self.namespace = {'__name__': 'launcher'}
        exec(prelude.format(python=sys.executable), self.namespace)
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        package = os.path.join(tmp.name, 'lazy_pkg')
        os.mkdir(package)
        open(os.path.join(package, '__init__.py'), 'w').close()
        with open(os.path.join(package, 'slow.py'), 'w') as f:
            f.write(textwrap.dedent('''
                import lazy_pkg
                lazy_pkg.executed = True
                ANSWER = 42
            '''))
        sys.path.insert(0, tmp.name)
        self.addCleanup(sys.path.remove, tmp.name)
        self.addCleanup(sys.modules.pop, 'lazy_pkg', None)
        self.addCleanup(sys.modules.pop, 'lazy_pkg.slow', None)

    def test_module_runs_on_first_use_not_on_import(self):
        import_lazily = self.namespace['import_lazily']
        import_lazily('lazy_pkg.slow')
        import lazy_pkg
        from lazy_pkg import slow  # what osc-lib's shell does
        self.assertFalse(getattr(lazy_pkg, 'executed', False))
        self.assertEqual(42, slow.ANSWER)
        self.assertTrue(lazy_pkg.executed)

    def test_a_missing_module_is_left_alone(self):
        import_lazily = self.namespace['import_lazily']
        import_lazily('lazy_pkg.no_such_module')
        import_lazily('no_such_package_at_all.interactive')
        self.assertNotIn('lazy_pkg.no_such_module', sys.modules)


class IdleCpusTest(unittest.TestCase):

    def test_cpu_times_reads_busy_and_total_ticks(self):
        with tempfile.NamedTemporaryFile('w', suffix='stat') as f:
            f.write('cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3 4 5 6 7 8\n')
            f.flush()
            # idle and iowait are not busy; steal is
            self.assertEqual((170, 990), proc.cpu_times(f.name))

    def readings(self, *busy_fractions):
        """A read() whose windows (100 ticks each) were that busy."""
        ticks = [(0, 0)]
        for fraction in busy_fractions:
            busy, total = ticks[-1]
            ticks.append((busy + int(100 * fraction), total + 100))
        ticks = iter(ticks)
        return lambda: next(ticks)

    def test_waits_while_busy_and_returns_once_idle(self):
        read = self.readings(0.9, 0.6, 0.1, 0.9)
        self.assertTrue(proc.wait_for_idle_cpus(
            busy_below=0.3, window=0.001, read=read))
        self.assertEqual((250, 400), read())   # the last window was unread

    def test_gives_up_after_the_timeout(self):
        self.assertFalse(proc.wait_for_idle_cpus(
            window=0.01, timeout=0.05, read=self.readings(*[1.0] * 100)))

    def test_returns_when_stopped(self):
        stopped = threading.Event()
        stopped.set()
        self.assertFalse(proc.wait_for_idle_cpus(
            stopped=stopped, read=self.readings(0.0)))


if __name__ == '__main__':
    unittest.main()


class VenvHelperTest(unittest.TestCase):
    """``util.venv.ensure``: uv runs once for a set of pins, then not."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.calls = os.path.join(self.dir, 'calls')
        # a uv that records its arguments
        self.uv = os.path.join(self.dir, 'uv')
        with open(self.uv, 'w') as f:
            f.write('#!/bin/sh\necho "$@" >> %s\n' % self.calls)
        os.chmod(self.uv, 0o755)
        self.venv = os.path.join(self.dir, 'venv')
        os.makedirs(os.path.join(self.venv, 'bin'))
        open(os.path.join(self.venv, 'bin', 'python'), 'w').close()

    def recorded(self):
        try:
            with open(self.calls) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def test_pins_install_once(self):
        venv.ensure(self.uv, self.venv, 'test', ['a==1', 'b'], ['c==2'])
        first = self.recorded()
        self.assertEqual(2, len(first))
        self.assertIn('a==1 b', first[0])
        self.assertIn('--no-deps c==2', first[1])
        venv.ensure(self.uv, self.venv, 'test', ['b', 'a==1'], ['c==2'])
        self.assertEqual(first, self.recorded())

    def test_new_pins_install_again(self):
        venv.ensure(self.uv, self.venv, 'test', ['a==1'])
        venv.ensure(self.uv, self.venv, 'test', ['a==2'])
        self.assertEqual(2, len(self.recorded()))

    def test_bytecode_compiled_once_per_set_of_pins(self):
        python = os.path.join(self.venv, 'bin', 'python')
        with open(python, 'w') as f:  # a python that records its arguments
            f.write('#!/bin/sh\necho python "$@" >> %s\n' % self.calls)
        os.chmod(python, 0o755)
        venv.ensure(self.uv, self.venv, 'test', ['a==1'], compile_nice=0)
        venv.ensure(self.uv, self.venv, 'test', ['a==1'], compile_nice=0)
        compiled = [c for c in self.recorded() if 'compileall' in c]
        self.assertEqual(1, len(compiled))
        self.assertIn(os.path.join(self.venv, 'lib'), compiled[0])
        venv.ensure(self.uv, self.venv, 'test', ['a==2'], compile_nice=0)
        self.assertEqual(
            2, len([c for c in self.recorded() if 'compileall' in c]))

    def test_bytecode_left_to_the_importers_unless_asked(self):
        python = os.path.join(self.venv, 'bin', 'python')
        with open(python, 'w') as f:  # a python that records its arguments
            f.write('#!/bin/sh\necho python "$@" >> %s\n' % self.calls)
        os.chmod(python, 0o755)
        venv.ensure(self.uv, self.venv, 'test', ['a==1'])
        self.assertEqual(
            [], [c for c in self.recorded() if 'compileall' in c])

    def test_editable_trees_resolve_with_the_pins(self):
        venv.ensure(self.uv, self.venv, 'test', ['a'], editable=[self.dir])
        self.assertIn('a -e %s' % self.dir, self.recorded()[0])
