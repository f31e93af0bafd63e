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

"""The test runner of ``tools/run-tests`` (``tests/runner.py``), run on a
package of small test modules made for each test: what it prints, what
counts as a failure, and that an import error is never a skip."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests import runner

MODULES = {
    'test_mixed.py': '''
        import logging
        import os
        import sys
        import unittest

        LOG = logging.getLogger('client.of.some.service')


        class MixedTest(unittest.TestCase):

            def test_passes_quietly(self):
                LOG.debug('REQ: curl of a passing test')
                print('output of a passing test')

            def test_fails_with_its_log(self):
                LOG.debug('REQ: curl of the failing test')
                print('output of the failing test')
                self.assertEqual(1, 2)

            def test_fails_with_a_long_log(self):
                for number in range(1000):
                    LOG.debug('line %d of a long log', number)
                self.fail('after a long log')

            def test_is_skipped(self):
                self.skipTest('for a reason')


        class DyingTest(unittest.TestCase):

            def test_kills_its_worker(self):
                if os.environ.get('RUNNER_TEST_DIE'):
                    sys.stdout.flush()
                    os._exit(3)
    ''',
    'test_broken.py': '''
        import unittest

        from pkg import no_such_module  # noqa: F401


        class NeverLoadedTest(unittest.TestCase):

            def test_nothing(self):
                pass
    ''',
}


class RunnerTest(unittest.TestCase):

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix='heat-qinling-runner-test-')
        self.addCleanup(shutil.rmtree, self.top, True)
        package = os.path.join(self.top, 'pkg')
        os.mkdir(package)
        open(os.path.join(package, '__init__.py'), 'w').close()
        for name, source in MODULES.items():
            with open(os.path.join(package, name), 'w') as f:
                f.write(textwrap.dedent(source))
        self.results = os.path.join(self.top, 'results.jsonl')

    def run_runner(self, *args, env=None):
        proc = subprocess.run(
            [sys.executable, '-m', 'tests.runner', '--top-dir', self.top,
             '--results', self.results] + list(args)
            + [os.path.join(self.top, 'pkg')],
            cwd=runner.REPO, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, **(env or {})))
        with open(self.results) as f:
            records = {r['id']: r for r in map(json.loads, f)}
        return proc, records

    def status(self, records, name):
        [status] = [r['status'] for i, r in records.items() if name in i]
        return status

    def test_a_line_per_test_a_failures_log_and_a_summary(self):
        proc, records = self.run_runner('--workers', '2')
        self.assertEqual(1, proc.returncode, proc.stdout + proc.stderr)
        out = proc.stdout
        self.assertEqual('ok', self.status(records, 'test_passes_quietly'))
        self.assertEqual('FAIL', self.status(records, 'test_fails_with_its'))
        self.assertEqual('skip', self.status(records, 'test_is_skipped'))
        # the failing test's own log and output, nobody else's
        self.assertIn('REQ: curl of the failing test', out)
        self.assertIn('output of the failing test', out)
        self.assertNotIn('of a passing test', out + proc.stderr)
        self.assertRegex(out, r'(?m)^ok +[0-9.]+ s  pkg\.test_mixed\.'
                         r'MixedTest\.test_passes_quietly$')
        self.assertIn('Slowest 10:', out)
        self.assertRegex(out, r'(?m)^Ran 6 tests in [0-9.]+ s: 2 passed, '
                         r'3 failed, 1 skipped$')

    def test_a_long_log_is_cut_to_its_end_and_kept_whole_in_a_file(self):
        proc, records = self.run_runner('--match', 'long_log')
        out = proc.stdout
        self.assertIn('line 999 of a long log', out)
        self.assertIn('line %d of a long log' % (1000 - runner.LOG_LINES),
                      out)
        self.assertNotIn('line %d of a long log' % (999 - runner.LOG_LINES),
                         out)
        path = re.search(r'its last %d of 1000 lines; all of them in (\S+)\)'
                         % runner.LOG_LINES, out).group(1)
        self.addCleanup(os.remove, path)
        with open(path) as f:
            self.assertIn('line 0 of a long log', f.read())

    def test_an_import_error_is_an_error_never_a_skip(self):
        proc, records = self.run_runner()
        self.assertEqual('ERROR', self.status(records, 'test_broken'))
        self.assertIn('no_such_module', proc.stdout)

    def test_no_skips_makes_a_skip_an_error(self):
        _, records = self.run_runner('--no-skips', '--match', 'skipped')
        self.assertEqual(['ERROR'], [r['status'] for r in records.values()])

    def test_a_dead_worker_fails_its_test(self):
        proc, records = self.run_runner('--match', 'Dying',
                                        env={'RUNNER_TEST_DIE': '1'})
        self.assertEqual(1, proc.returncode)
        self.assertEqual('ERROR', self.status(records, 'kills_its_worker'))
        self.assertIn('worker process died', proc.stdout)

    def test_report_sums_steps_and_a_later_result_wins(self):
        self.run_runner('--no-skips', '--match', 'skipped')
        first = self.results
        self.results = os.path.join(self.top, 'later.jsonl')
        self.run_runner('--match', 'skipped')
        out = subprocess.run(
            [sys.executable, '-m', 'tests.runner', '--report', first,
             self.results, '--apart', 'install test', '3', '0'],
            cwd=runner.REPO, capture_output=True, text=True, timeout=60)
        self.assertEqual(0, out.returncode, out.stdout)
        self.assertIn('tests: 3 passed, 0 failed, 1 skipped; with 3 passed '
                      'and 0 failed in the install test', out.stdout)

    def test_report_ends_with_each_failure_where_and_why(self):
        # what a CI page shows is the end of the log: the failed tests,
        # the line of the test they failed at and their exception, last
        self.run_runner()
        out = subprocess.run(
            [sys.executable, '-m', 'tests.runner', '--report', self.results],
            cwd=runner.REPO, capture_output=True, text=True, timeout=60)
        self.assertEqual(1, out.returncode, out.stdout)
        tail = out.stdout.splitlines()
        counts = [n for n, line in enumerate(tail)
                  if line.startswith('tests: ')]
        self.assertEqual(1, len(counts), out.stdout)
        recap = '\n'.join(tail[counts[0] + 1:])
        self.assertIn('FAIL pkg.test_mixed.MixedTest.test_fails_with_its_log',
                      recap)
        self.assertIn('AssertionError: 1 != 2', recap)
        self.assertIn(
            'ERROR unittest.loader._FailedTest.pkg.test_broken', recap)
        self.assertIn('no_such_module', recap)
        # the test's log is in the whole record above, not in the recap
        self.assertNotIn('REQ: curl', recap)

    def test_why_names_the_frame_and_the_exception(self):
        detail = (
            'Traceback (most recent call last):\n'
            '  File "%s/tests/e2e/base.py", line 10, in wait\n'
            '    raise TimeoutError(what)\n'
            '  File "%s/.venv/lib/python3/site-packages/x.py", line 3, in '
            'inner\n'
            '    boom()\n'
            'TimeoutError: timed out waiting for the stack\n'
            '    and its second line\n'
            '\n--- log of the test ---\nDEBUG a lot of lines\n'
            % (runner.REPO, runner.REPO))
        self.assertEqual(
            ['tests/e2e/base.py:10, in wait',
             'TimeoutError: timed out waiting for the stack'],
            runner.why(detail))
        self.assertEqual(['its worker process died (exit code 3)'],
                         runner.why('its worker process died (exit code 3)'))
