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

"""The test runner of ``tools/run-tests``: standard library only, so that it
runs in every venv of the local cloud (the main one and Qinling's).

``python -m tests.runner [options] PATH...`` discovers the tests under each
PATH (a directory, or a dotted module or test name) and runs them in worker
processes forked from this one; each worker takes the next group of tests
(a test class by default, so that a class's tests share its fixtures and its
Keystone project in the end-to-end tests) until none is left. Tests whose id
matches ``--serial`` run after the parallel part, one at a time: those that
stop or restart the shared cloud's services.

What it prints reads like a test run: one line per test (result, seconds,
name), a failure's traceback with the test's own log records and output
(captured per test, shown only when it fails; of a long log its last lines,
the whole of it in a file under the temporary directory), a summary and the
slowest ten tests. Nothing of the clients' logging reaches the terminal
otherwise.

An import error of a test module is an error of the run, never a skip.
``--results FILE`` writes one JSON line per test for ``--report``, which sums
up several runs (the steps of ``tools/run-tests``): the slowest ten of them
all, the counts, then each failed test again, with the line it failed at and
its exception; where one test ran in two steps (skipped in the main venv, run
in Qinling's), the later result counts.
"""
import argparse
import ast
import io
import json
import logging
import multiprocessing
from multiprocessing.connection import wait
import os
import re
import sys
import tempfile
import time
import traceback
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG_FORMAT = '%(asctime)s %(levelname)s %(name)s: %(message)s'
SLOWEST = 10
# failed tests named again, with why, at the very end of --report
RECAP = 5
# a failed test's log is printed up to this many lines, its last ones
LOG_LINES = 300
# the worst of a group's results decides the line's word
OK, FAIL, ERROR, SKIP = 'ok', 'FAIL', 'ERROR', 'skip'
XFAIL, UNEXPECTED = 'xfail', 'UNEXPECTED-SUCCESS'
BAD = (FAIL, ERROR, UNEXPECTED)


# -- loading ------------------------------------------------------------------
def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def load(paths, top=REPO):
    """Every test under ``paths``, in discovery order."""
    loader = unittest.TestLoader()
    tests = []
    for path in paths:
        if os.path.isdir(path):
            suite = loader.discover(path, top_level_dir=top)
        else:
            if path.endswith('.py'):   # a file: its module
                path = os.path.relpath(os.path.abspath(path), top)
                path = path[:-len('.py')].replace(os.sep, '.')
            suite = loader.loadTestsFromName(path)
        tests.extend(flatten(suite))
    for error in loader.errors:  # names that did not resolve
        print(error, file=sys.stderr)
    return tests


def imports(test, module):
    """Whether the source of the test's module imports ``module``."""
    name = type(test).__module__
    source = getattr(sys.modules.get(name), '__file__', None)
    if not source:
        return False
    with open(source) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or '']
        else:
            continue
        if any(n == module or n.startswith(module + '.') for n in names):
            return True
    return False


def class_of(test):
    """``module.Class`` of a test (an import error names its module)."""
    return test.id().rsplit('.', 1)[0]


def groups_of(tests, by):
    """Lists of tests that one worker runs in order, by class or one each."""
    if by == 'test':
        return [[t] for t in tests]
    groups = {}
    for test in tests:
        groups.setdefault(class_of(test), []).append(test)
    return list(groups.values())


def expected_seconds(group, times):
    """A group's time by the last run, for the longest-first order."""
    known = [times[t.id()] for t in group if t.id() in times]
    guess = (sum(known) / len(known)) if known else 10.0
    return sum(times.get(t.id(), guess) for t in group)


# -- running, in a worker -----------------------------------------------------
class Capture(logging.Handler):
    """Collects the log records of one test."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self.buffer = io.StringIO()

    def emit(self, record):
        try:
            self.buffer.write(self.format(record) + '\n')
        except Exception:  # noqa: BLE001 - a broken record is no failure
            self.handleError(record)


def file_name(test_id):
    """A test's id as the name of a file (or directory) of its own."""
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', test_id)[-150:]


def tail(logged, test_id):
    """The last LOG_LINES lines of a failed test's log.

    A longer log (an end-to-end test's every request and answer) is kept
    whole in a file, which the first line names.
    """
    lines = logged.splitlines(True)
    if len(lines) <= LOG_LINES:
        return logged
    directory = os.path.join(tempfile.gettempdir(), 'heat-qinling-test-logs')
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, file_name(test_id) + '.log')
    with open(path, 'w') as f:
        f.write(logged)
    return '(its last %d of %d lines; all of them in %s)\n%s' % (
        LOG_LINES, len(lines), path, ''.join(lines[-LOG_LINES:]))


class Result(unittest.TestResult):
    """Sends a record of each test to ``send`` as soon as it ends.

    Per test: every log record (DEBUG up) and what the test writes to
    sys.stdout / sys.stderr are captured, and kept only if it fails.
    """

    def __init__(self, send):
        super().__init__()
        self.send = send
        self.current = None

    def startTest(self, test):
        super().startTest(test)
        root = logging.getLogger()
        capture = Capture()
        self.current = {
            'id': test.id(), 'status': OK, 'detail': '', 'capture': capture,
            'saved': (root.handlers[:], root.level, sys.stdout, sys.stderr),
            'start': time.monotonic(),
        }
        # the capture replaces every handler: oslotest's basicConfig() then
        # adds none, and nothing reaches the terminal
        root.handlers = [capture]
        root.setLevel(logging.DEBUG)
        sys.stdout = sys.stderr = self.current['output'] = io.StringIO()

    def stopTest(self, test):
        current, self.current = self.current, None
        handlers, level, sys.stdout, sys.stderr = current.pop('saved')
        root = logging.getLogger()
        root.handlers = handlers
        root.setLevel(level)
        current['time'] = round(time.monotonic() - current.pop('start'), 3)
        capture = current.pop('capture')
        output = current.pop('output').getvalue()
        if current['status'] in BAD:
            logged = capture.buffer.getvalue()
            if logged:
                current['detail'] += '\n--- log of the test ---\n' + tail(
                    logged, current['id'])
            if output:
                current['detail'] += '\n--- its output ---\n' + output
        self.send(('test', current))
        super().stopTest(test)

    def _set(self, test, status, detail=''):
        if self.current is None or self.current['id'] != test.id():
            # a class or module fixture failed: unittest reports it
            # outside any test
            self.send(('test', {'id': test.id(), 'status': status,
                                'detail': detail, 'time': 0.0}))
            return
        self.current['status'] = status
        self.current['detail'] = detail

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, ERROR, self._exc_info_to_string(err, test))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, FAIL, self._exc_info_to_string(err, test))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            status = FAIL if issubclass(err[0], test.failureException) \
                else ERROR
            detail = '%s\n%s' % (subtest.id(),
                                 self._exc_info_to_string(err, test))
            if self.current is not None and self.current['status'] in BAD:
                detail = self.current['detail'] + '\n' + detail
            self._set(test, status, detail)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, SKIP, reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, XFAIL)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, UNEXPECTED)


def worker(groups, conn):
    """Run the groups the parent hands out until it says stop.

    One result for all of them, as in one suite: a class's fixtures
    (setUpClass: a browser logged in once) last while the same worker runs
    tests of that class one group after the other, and are torn down when it
    moves on to another class or stops. Records go to the parent at once,
    through a pipe (no buffering thread that a dying worker could lose).
    """
    sys.stdin = open(os.devnull)
    # between tests (class fixtures, background threads) logging goes
    # nowhere rather than to the terminal through logging's last resort
    logging.getLogger().handlers = [logging.NullHandler()]
    result = Result(conn.send)
    result._testRunEntered = True    # what a top-level suite sets
    while True:
        index = conn.recv()
        if index is None:
            break
        try:
            unittest.TestSuite(groups[index]).run(result)
        except BaseException:  # noqa: BLE001 - tell the parent, go on
            conn.send(('test', {
                'id': class_of(groups[index][0]), 'status': ERROR,
                'detail': traceback.format_exc(), 'time': 0.0}))
        conn.send(('done', index))
    last = unittest.TestSuite()
    last._tearDownPreviousClass(None, result)
    last._handleModuleTearDown(result)
    result._testRunEntered = False


# -- the parent: scheduling and printing --------------------------------------
class Printer:

    def __init__(self, no_skips=False, out=None):
        self.no_skips = no_skips
        self.out = out or sys.stdout
        self.records = []

    def test(self, record):
        if self.no_skips and record['status'] == SKIP:
            record['status'] = ERROR
            record['detail'] = 'skipped where it must run: %s' % (
                record['detail'])
        self.records.append(record)
        line = '%-5s %7.1f s  %s' % (record['status'], record['time'],
                                     record['id'])
        if record['status'] == SKIP and record['detail']:
            line += '  (%s)' % record['detail']
        print(line, file=self.out, flush=True)
        if record['status'] in BAD:
            print(indent(record['detail']), file=self.out, flush=True)


def why(detail, width=240):
    """A failure in two lines: where in our code, and the exception.

    From the traceback part of a record's detail (before the test's log):
    the last frame in this repository's code and the exception's first
    line.
    """
    trace = detail.split('\n--- log of the test ---\n')[0]
    trace = trace.split('\n--- its output ---\n')[0].rstrip()
    lines = trace.splitlines()
    # our code: the repository's files, not the venvs it may hold
    where = [line.strip() for line in lines
             if line.strip().startswith('File "%s/' % REPO)
             and 'site-packages' not in line]
    # the exception: the first line at column 0 after the last frame (its
    # source and caret lines are indented), or the last line of a text that
    # is no traceback
    exception = lines[-1] if lines else ''
    frames = [n for n, line in enumerate(lines) if line.startswith('  File ')]
    if frames:
        exception = next((line for line in lines[frames[-1]:]
                          if line and not line[0].isspace()), exception)
    exception = ' '.join(exception.split())
    found = []
    if where:
        found.append(where[-1].replace('File "%s/' % REPO, '').replace(
            '", line ', ':'))
    found.append(exception[:width] + ('...' if len(exception) > width
                                      else ''))
    return found


def indent(text):
    return '\n'.join('    ' + line for line in text.rstrip().splitlines())


def run_parallel(groups, workers, printer):
    """Run ``groups`` in ``workers`` forked processes.

    The next group goes to the first worker free. A worker that dies fails
    the tests of its group it had not finished; a new one takes its place.
    """
    ctx = multiprocessing.get_context('fork')
    pending = list(range(len(groups)))
    live = {}   # the parent's end of a worker's pipe -> [process, left ids]

    def give(conn):
        index = pending.pop(0) if pending else None
        live[conn][1] = [] if index is None else [
            t.id() for t in groups[index]]
        conn.send(index)

    def spawn():
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(groups, theirs), daemon=True)
        proc.start()
        theirs.close()
        live[mine] = [proc, []]
        give(mine)

    for _ in range(max(1, min(workers, len(groups)))):
        spawn()
    while live:
        for conn in wait(list(live)):
            proc, left = live[conn]
            try:
                kind, value = conn.recv()
            except EOFError:
                del live[conn]
                proc.join(5)
                for test_id in left:
                    printer.test({
                        'id': test_id, 'status': ERROR, 'time': 0.0,
                        'detail': 'its worker process died (exit code %s)'
                        % proc.exitcode})
                if pending:
                    spawn()
                continue
            if kind == 'done':
                give(conn)
            else:
                printer.test(value)
                if value['id'] in left:
                    left.remove(value['id'])


def read_times(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_times(path, records):
    # read again: another step (the cloud's lane) may have written meanwhile
    times = read_times(path)
    for record in records:
        if record['status'] == OK:
            times[record['id']] = record['time']
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(times, f, indent=0, sort_keys=True)
    os.replace(tmp, path)


# -- summaries ----------------------------------------------------------------
def counts(records):
    found = {}
    for record in records:
        found[record['status']] = found.get(record['status'], 0) + 1
    return found


def summary(records, seconds, out=None):
    """The summary lines."""
    out = out or sys.stdout
    found = counts(records)
    bad = [r for r in records if r['status'] in BAD]
    print('', file=out)
    if bad:
        print('Failed:', file=out)
        for record in bad:
            print('  %s %s' % (record['status'], record['id']), file=out)
    print('Slowest %d:' % SLOWEST, file=out)
    for record in sorted(records, key=lambda r: -r['time'])[:SLOWEST]:
        print('  %7.1f s  %s' % (record['time'], record['id']), file=out)
    print('Ran %d tests in %.1f s: %d passed, %d failed, %d skipped%s'
          % (len(records), seconds, found.get(OK, 0) + found.get(XFAIL, 0),
             len(bad), found.get(SKIP, 0),
             '' if records else ' (no test found)'), file=out)


def report(paths, extra=(), out=None):
    """Sum up the results files of several runs; 0 if nothing failed.

    ``extra``: (what, passed, failed) of tests run apart (the install test).
    """
    latest = {}
    for path in paths:
        try:
            with open(path) as f:
                for line in f:
                    record = json.loads(line)
                    latest.pop(record['id'], None)   # later runs win
                    latest[record['id']] = record
        except OSError:
            continue
    records = list(latest.values())
    found = counts(records)
    out = out or sys.stdout
    print('Slowest %d of all steps:' % SLOWEST, file=out)
    for record in sorted(records, key=lambda r: -r['time'])[:SLOWEST]:
        print('  %7.1f s  %s' % (record['time'], record['id']), file=out)
    passed = found.get(OK, 0) + found.get(XFAIL, 0)
    failed = sum(found.get(s, 0) for s in BAD)
    apart = ''.join('; with %d passed and %d failed in the %s'
                    % (p, f, what) for what, p, f in extra)
    print('tests: %d passed, %d failed, %d skipped%s'
          % (passed + sum(p for _, p, _ in extra),
             failed + sum(f for _, _, f in extra), found.get(SKIP, 0),
             apart), file=out)
    # last, so that the end of a long log (all a CI page may show) says
    # which tests failed and why; their whole tracebacks and logs are
    # printed above, each with its test's line
    bad = [r for r in records if r['status'] in BAD]
    for record in bad[:RECAP]:
        print('%s %s' % (record['status'], record['id']), file=out)
        for line in why(record['detail']):
            print('    ' + line, file=out)
    if len(bad) > RECAP:
        print('... and %d more failed tests (above)' % (len(bad) - RECAP),
              file=out)
    return 1 if failed or any(f for _, _, f in extra) else 0


# -- command line -------------------------------------------------------------
def parse(argv):
    parser = argparse.ArgumentParser(
        prog='python -m tests.runner', description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('paths', nargs='*', metavar='PATH',
                        help='a directory to discover tests in, or a dotted '
                        'module, class or test name')
    parser.add_argument('--top-dir', default=REPO,
                        help='the directory test module names start from '
                        '(default: the repository)')
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes (default 1)')
    parser.add_argument('--group', choices=('class', 'test'),
                        default='class',
                        help='what a worker takes at a time (default: a '
                        'test class)')
    parser.add_argument('--serial', metavar='REGEX',
                        help='tests whose id matches run after the others, '
                        'one at a time, each group alone')
    parser.add_argument('--match', metavar='REGEX',
                        help='run only the tests whose id matches')
    parser.add_argument('--exclude', metavar='REGEX',
                        help='leave out the tests whose id matches')
    parser.add_argument('--needs', metavar='MODULE',
                        help='run only the tests of the test modules that '
                        'import MODULE (e.g. qinling: those for its venv)')
    parser.add_argument('--no-skips', action='store_true',
                        help='a skipped test fails the run')
    parser.add_argument('--results', metavar='FILE',
                        help='write one JSON line per test to FILE')
    parser.add_argument('--times', metavar='FILE',
                        help='JSON file of the last passing times, read to '
                        'start the longest groups first and updated')
    parser.add_argument('--report', nargs='+', metavar='RESULTS',
                        help='sum up results files of earlier runs instead')
    parser.add_argument('--apart', nargs=3, action='append', default=[],
                        metavar=('WHAT', 'PASSED', 'FAILED'),
                        help='with --report: counts of tests run apart')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    if args.report:
        return report(args.report,
                      [(w, int(p), int(f)) for w, p, f in args.apart])
    if not args.paths:
        print('no PATH given', file=sys.stderr)
        return 2
    started = time.monotonic()
    if args.top_dir not in sys.path:
        sys.path.insert(0, args.top_dir)
    tests = load(args.paths, args.top_dir)
    if args.match:
        tests = [t for t in tests if re.search(args.match, t.id())]
    if args.exclude:
        tests = [t for t in tests if not re.search(args.exclude, t.id())]
    if args.needs:
        tests = [t for t in tests if imports(t, args.needs)]
    times = read_times(args.times) if args.times else {}
    serial_re = re.compile(args.serial) if args.serial else None
    serial = [t for t in tests if serial_re and serial_re.search(t.id())]
    parallel = [t for t in tests if t not in serial]
    printer = Printer(args.no_skips)
    groups = sorted(groups_of(parallel, args.group),
                    key=lambda g: -expected_seconds(g, times))
    print('%d tests%s in %d worker(s)%s' % (
        len(tests), ' of %d classes' % len(groups)
        if args.group == 'class' else '', min(args.workers, len(groups)),
        ', then %d alone' % len(serial) if serial else ''), flush=True)
    if groups:
        run_parallel(groups, args.workers, printer)
    for group in groups_of(serial, 'class'):
        run_parallel([group], 1, printer)
    records = printer.records
    if args.results:
        with open(args.results, 'w') as f:
            for record in records:
                f.write(json.dumps(record) + '\n')
    if args.times:
        write_times(args.times, records)
    summary(records, time.monotonic() - started)
    # no test at all is a failure too
    return 0 if records and not any(r['status'] in BAD for r in records) \
        else 1


if __name__ == '__main__':
    sys.exit(main())
