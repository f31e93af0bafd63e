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

"""``tools/benchmark``: figures of the local cloud and the plugin (it prints;
it is no test).

Parts, in order (``--only a,b``):

``cold-up``  ``tools/localcloud up`` on an empty state dir: venvs, installs,
             configs, databases, start. pip uses its usual cache and
             configured index.
``warm-up``  ``up`` again with everything healthy; then ``down`` and ``up``
             from stopped processes (state kept).
``demo``     ``tools/localcloud demo``.
``cli``      start-up of the ``openstack`` CLI of ``tools/localcloud env``
             (client venv) and what it prints on stderr.
``stacks``   create and delete (Heat API, timed from the request to
             heat-engine's log line of the stack's completion) of N seed
             chains (function -> webhook -> alarm) in one stack, next to N
             chains of three dependent ``OS::Heat::RandomString`` (Heat's
             own floor, same shape), N = 1, 10, 30, after one pair not
             counted (the engine's first use of its clients, cold caches);
             N = 1 five times, its row the run of median ratio, with where
             its time went; the HTTP calls
             qinling-api logged per chain and operation (create, update,
             check, validate, delete).
``latency``  event published -> execution status ``success`` committed, one
             event at a time: the first event of a new function, then 50
             more by each path, in turns: Nova's notification through
             Ceilometer, and the event straight to Aodh; stage shares from
             the services' ``localcloud-timing`` log lines and a tap on
             Ceilometer's events.
``memory``   resident memory of every recorded process and its children,
             against the 2 GiB the whole cloud may use.

Each figure is printed with the load average: the machine may be shared. The
cloud-side parts (cli, stacks, latency, memory) need the clients: when started
with a plain python3 the script re-runs itself with the cloud's main venv for
them.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from localcloud import config
from localcloud import util

PARTS = ('cold-up', 'warm-up', 'demo', 'cli', 'stacks', 'latency', 'memory')
CLOUD_PARTS = ('cli', 'stacks', 'latency', 'memory')
DEFAULT_BASE_PORT = 19000
# not under /tmp: stevedore keeps no entry-point cache for an interpreter there
# (localcloud/README.rst, "State dir"), and a user's cloud lives in the repo
DEFAULT_STATE_DIR = os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'),
    'heat-qinling-benchmark')
DEFAULT_SIZES = (1, 10, 30)
DEFAULT_EVENTS = 50
LAUNCHER = os.path.join(config.REPO_DIR, 'tools', 'localcloud')
SEED = os.path.join(
    config.REPO_DIR, 'templates', 'function-webhook-event-alarm.yaml'
)
# a compute.instance.* type of the benchmark's own: Ceilometer converts it
# as a Nova event, and no other alarm (the demo's) fires on it
BENCH_EVENT = 'compute.instance.benchmark.end'


def say(msg):
    print('benchmark: %s' % msg, flush=True)


# -- machine ---------------------------------------------------------------
def machine():
    """nproc, RAM, CPU model, Python, OS: what the figures were measured on."""
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(
                line.split(':', 1)[1].strip()
                for line in f
                if line.startswith('model name')
            )
    except (OSError, StopIteration):
        pass
    mem_kib = 0
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemTotal:'):
                mem_kib = int(line.split()[1])
    os_name = platform.platform()
    try:
        with open('/etc/os-release') as f:
            fields = dict(line.rstrip().split('=', 1) for line in f
                          if '=' in line)
            os_name = fields['PRETTY_NAME'].strip('"')
    except (OSError, KeyError):
        pass
    return {
        'nproc': os.cpu_count(),
        'ram_gib': round(mem_kib / 1024 / 1024, 1),
        'cpu': cpu,
        'cpu_reference_s': cpu_reference(),
        'python': platform.python_version(),
        'os': os_name,
        'kernel': platform.release(),
    }


def cpu_reference():
    """CPU seconds of a fixed pure-Python loop (best of three): the same
    machine class runs faster or slower from one day to the next (other
    tenants of the host), and every figure here scales with it."""
    best = None
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(2000000):
            total += i * i
        took = time.process_time() - started
        best = took if best is None else min(best, took)
    return round(best, 3)


# -- cold/warm up and demo (subprocesses of tools/localcloud) ---------------
def launcher(cloud, *argv, log):
    """Run tools/localcloud for ``cloud``, its output appended to ``log``;
    return seconds."""
    cmd = [
        LAUNCHER,
        '--state-dir',
        cloud.state_dir,
        '--base-port',
        str(cloud.base_port),
    ]
    cmd += list(argv)
    started = time.monotonic()
    with open(log, 'a') as out:
        out.write('\n$ %s\n' % ' '.join(cmd))
        out.flush()
        code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    took = time.monotonic() - started
    if code != 0:
        raise SystemExit(
            'benchmark: `tools/localcloud %s` failed (exit %d); see %s'
            % (' '.join(argv), code, log)
        )
    return took


def du_mib(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total / 2 ** 20


def cold_up(cloud, log, results):
    if os.path.exists(os.path.join(cloud.state_dir, 'venv')):
        raise SystemExit(
            'benchmark: cold-up needs an empty state dir, and %s has a venv;'
            ' use another --state-dir or `tools/localcloud --state-dir %s'
            ' destroy`' % (cloud.state_dir, cloud.state_dir)
        )
    pip_cache = os.path.expanduser('~/.cache/pip')
    say(
        'cold up: tools/localcloud up on the empty state dir %s (pip cache %s:'
        ' %.0f MiB) ...'
        % (
            cloud.state_dir,
            pip_cache,
            du_mib(pip_cache) if os.path.isdir(pip_cache) else 0,
        )
    )
    took = launcher(cloud, 'up', log=log)
    results['cold_up_s'] = round(took, 1)
    results['state_dir_mib'] = round(du_mib(cloud.state_dir))
    say('cold up: %.1f s; state dir %d MiB' % (took, results['state_dir_mib']))


def warm_up(cloud, log, results):
    took = launcher(cloud, 'up', log=log)
    results['warm_up_s'] = round(took, 1)
    say('warm up (everything healthy): %.1f s' % took)
    took = launcher(cloud, 'down', log=log)
    results['down_s'] = round(took, 1)
    say('down: %.1f s' % took)
    took = launcher(cloud, 'up', log=log)
    results['up_after_down_s'] = round(took, 1)
    say('up after down (state kept, processes stopped): %.1f s' % took)


def demo(cloud, log, results):
    took = launcher(cloud, 'demo', log=log)
    results['demo_s'] = round(took, 1)
    say('demo (cloud already up): %.1f s' % took)


# -- cloud-side parts (main venv) ------------------------------------------
def chains_template(n, event_type, description=None):
    """HOT with ``n`` seed chains (function, webhook, event alarm), files
    shared; each chain is three resources, each depending on the one before."""
    lines = ['heat_template_version: 2018-08-31', 'resources:']
    extra = ['      description: %s' % description] if description else []
    for i in range(n):
        lines += (
            [
                '  function%d:' % i,
                '    type: OS::Qinling::Function',
                '    properties:',
                '      runtime: python3',
                '      entry: hello_world.main',
                (
                    '      files: {hello_world.py: {get_file:'
                    ' functions/hello_world.py}}'
                ),
            ]
            + extra
            + [
                '  webhook%d:' % i,
                '    type: OS::Qinling::Webhook',
                '    properties:',
                '      function: {get_resource: function%d}' % i,
            ]
            + extra
            + [
                '  alarm%d:' % i,
                '    type: OS::Aodh::EventAlarm',
                '    properties:',
                '      event_type: %s' % event_type,
                '      repeat_actions: false',
                '      alarm_actions: [{get_attr: [webhook%d, webhook_url]}]'
                % i,
            ]
        )
    return '\n'.join(lines) + '\n'


def random_chains_template(n):
    """Heat's floor of the same shape: ``n`` chains of three RandomStrings,
    each depending on the one before (get_attr of its value, as the alarm on
    the webhook)."""
    lines = ['heat_template_version: 2018-08-31', 'resources:']
    for i in range(n):
        lines += [
            '  first%d: {type: OS::Heat::RandomString}' % i,
            '  second%d:' % i,
            '    type: OS::Heat::RandomString',
            '    properties: {salt: {get_attr: [first%d, value]}}' % i,
            '  third%d:' % i,
            '    type: OS::Heat::RandomString',
            '    properties: {salt: {get_attr: [second%d, value]}}' % i,
        ]
    return '\n'.join(lines) + '\n'


def failure_reason(heat, stack_id):
    try:
        stack = heat.stacks.get(stack_id)
    except Exception as exc:  # noqa: BLE001 - the reason is all we want
        return 'stack %s: %s' % (stack_id, exc)
    return '%s: %s' % (
        stack.stack_status,
        (stack.stack_status_reason or '')[:300],
    )


def timed_cli(cloud, argv):
    """Seconds a CLI command of the client venv takes, and its stderr."""
    from localcloud import clients
    env = dict(os.environ)
    for key in [k for k in env if k.startswith('OS_')]:
        del env[key]
    env.update(clients.cli_env(cloud))
    env['PATH'] = (
        os.path.dirname(cloud.client_bin('openstack'))
        + os.pathsep
        + env['PATH']
    )
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(
            'benchmark: %s failed: %s' % (' '.join(argv), proc.stderr[-2000:])
        )
    cpu = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    return took, proc.stderr, cpu


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def cli(cloud, results):
    """Start-up of the `openstack` CLI users get from `tools/localcloud
    env`."""
    rows = {}
    for argv in (['openstack', '--version'], ['openstack', 'stack', 'list'],
                 ['openstack', 'function', 'list']):
        times, cpus, warnings = [], [], ''
        for _ in range(3):
            took, stderr, cpu = timed_cli(cloud, argv)
            times.append(took)
            cpus.append(cpu)
            warnings = warnings or stderr.strip()
        rows[' '.join(argv)] = {
            'median_s': round(statistics.median(times), 2),
            'cpu_median_s': round(statistics.median(cpus), 2),
            'stderr': warnings[:200],
        }
        # CPU time (user + system) is what the command costs on an idle
        # machine, where it runs without waiting for a core
        say(
            'cli: `%s`: median of 3 %.2f s wall, %.2f s CPU; stderr: %s'
            ' (load %s)'
            % (
                ' '.join(argv),
                statistics.median(times),
                statistics.median(cpus),
                repr(warnings[:200]) if warnings else 'empty',
                loadavg(),
            )
        )
    results['cli'] = rows


# -- HTTP calls the plugin makes to Qinling (qinling-api's access log) ------
ACCESS_LINE = re.compile(
    r'"(GET|POST|PUT|DELETE|PATCH|HEAD) (\S+) HTTP/1\.[01]" ' r'status: (\d+)'
)
UUID = re.compile(
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
)


class LogSinceMark:
    """What one process of the cloud logged since ``mark()``."""

    process = None

    def __init__(self, cloud):
        self.path = cloud.log_path(self.process)
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path)

    def text(self):
        with open(self.path, errors='replace') as f:
            f.seek(self.offset)
            return f.read()


class AccessLog(LogSinceMark):
    """The requests qinling-api logged since ``mark()``."""

    process = 'qinling-api'

    def calls(self):
        """{'METHOD /path/{id}': count} since the mark (query strings kept
        apart), without the package downloads of the workers
        (``?download=true``: the local executor's prefetch at function create,
        not the plugin)."""
        counts = {}
        for method, path, _ in ACCESS_LINE.findall(self.text()):
            path, _, query = path.partition('?')
            if query == 'download=true':
                continue
            key = '%s %s%s' % (
                method,
                UUID.sub('{id}', path),
                '?' + query if query else '',
            )
            counts[key] = counts.get(key, 0) + 1
        return counts


def per_resource(counts, n):
    return {k: round(v / n, 2) for k, v in sorted(counts.items())}


def wait_stack(heat, stack_id, action, timeout=900):
    """Poll the stack every 0.1 s until ``action`` is no longer IN_PROGRESS.

    Without its outputs: to resolve them, heat-engine reads the attributes
    of every created resource (for a webhook, a GET to Qinling) at each
    poll, ten times a second, which a user's ``--wait`` (events every 5 s)
    does not do.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stack = heat.stacks.get(stack_id, resolve_outputs=False)
        except Exception as exc:  # noqa: BLE001 - a deleted stack is gone
            if action == 'DELETE' and getattr(exc, 'code', None) == 404:
                return 'DELETE_COMPLETE'
            raise
        if stack.stack_status != action + '_IN_PROGRESS':
            return stack.stack_status
        time.sleep(0.1)
    raise SystemExit('benchmark: stack %s still %s_IN_PROGRESS after %d s'
                     % (stack_id, action, timeout))


ENGINE_LINE = re.compile(
    r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \d+ \w+ \S+ \[[^\]]*\] (.*)$',
    re.M,
)


class EngineLog(LogSinceMark):
    """heat-engine's log since ``mark()``: when it took a stack's action,
    started each of its resources and completed, to the millisecond.

    The polls see a stack complete up to 0.1 s late, against a one-chain
    create of 0.4-0.9 s; heat-engine's own log line does not. Its times are
    the machine's clock, as ``time.time()`` here.
    """

    process = 'heat-engine'

    def timeline(self, stack_name, action):
        """[(time.time() value, step)] of one stack's action: 'engine' when
        heat-engine took it, each resource's name when it started, 'done'
        when the stack's action completed or failed."""
        name = re.escape(stack_name)
        verb = action.lower().rstrip('e')  # creat(ing), delet(ing)
        # (line, step); a step of None is the resource the line names
        patterns = (
            (re.compile(r'^%sing stack %s$' % (verb.title(), name)), 'engine'),
            (re.compile(r'^%sing \S+ "([^"]+)" .*Stack "%s"' % (verb, name)),
             None),
            (re.compile(r'^Stack %s (?:COMPLETE|FAILED) \(%s\)'
                        % (action, name)), 'done'),
        )
        steps = []
        for stamp, message in ENGINE_LINE.findall(self.text()):
            for pattern, step in patterns:
                match = pattern.match(message)
                if match:
                    when = datetime.datetime.strptime(
                        stamp, '%Y-%m-%d %H:%M:%S.%f').timestamp()
                    steps.append((when, step or match.group(1)))
                    break
        return steps


def stages(requested, steps):
    """[(stage, seconds)] from the request to the stack's completion:
    'api' (until heat-engine took it), 'stack' (its own work before the
    first resource), then each resource until the next step."""
    points = [(requested, 'api')] + [
        (when, 'stack' if step == 'engine' else step)
        for when, step in steps]
    return [(what, round(points[i + 1][0] - when, 3))
            for i, (when, what) in enumerate(points[:-1])]


def stack_op(heat, access, engine, name, action, call, stack_id=None):
    """Run one stack operation through Heat's API; (seconds, final status,
    calls, stack ID, stages).

    Timed from the request to the line in which heat-engine logged the
    stack's action complete (or failed); the poll's time if that line is
    missing (a rotated log).
    """
    access.mark()
    engine.mark()
    requested = time.time()
    started = time.monotonic()
    created = call()
    stack_id = stack_id or created['stack']['id']
    status = wait_stack(heat, stack_id, action)
    took = time.monotonic() - started
    time.sleep(0.3)  # the last log lines
    steps = engine.timeline(name, action)
    if steps and steps[-1][1] == 'done':
        took = steps[-1][0] - requested
    else:
        say('stacks: heat-engine\'s log has no end of %s %s: timed by the'
            ' poll' % (action, name))
    return took, status, access.calls(), stack_id, stages(requested, steps)


# how many times a size is measured (the row is the run of median ratio)
REPEATS = {1: 5}
# idle seconds before each measured stack create
SETTLE_S = 2


def stacks(cloud, workdir, sizes, results):
    """Create and delete N seed chains next to N chains of three RandomStrings,
    through Heat's API (heatclient), timed from the request until heat-engine
    logs the stack complete (``EngineLog``); and the HTTP calls qinling-api
    saw."""
    from heatclient.common import template_utils
    from localcloud import clients
    heat = clients.heat(cloud)
    access = AccessLog(cloud)
    engine = EngineLog(cloud)
    shutil.copytree(os.path.join(config.REPO_DIR, 'templates', 'functions'),
                    os.path.join(workdir, 'functions'), dirs_exist_ok=True)

    def template(name, text):
        path = os.path.join(workdir, name)
        with open(path, 'w') as f:
            f.write(text)
        files, tpl = template_utils.get_template_contents(path)
        return files, tpl

    def measure(n):
        """Create and delete N chains, then N RandomString chains: a row."""
        row = {'n': n, 'resources': 3 * n, 'load_before': loadavg()}
        for kind, text in (('chains', chains_template(n, 'benchmark.none')),
                           ('random', random_chains_template(n))):
            files, tpl = template('%s-%d.yaml' % (kind, n), text)
            name = 'bench-%s-%d-%d' % (kind, n, os.getpid())
            # what the previous stack set off in the background (a function's
            # worker starting or stopping) is not billed to this one
            time.sleep(SETTLE_S)
            took, status, calls, stack_id, steps = stack_op(
                heat, access, engine, name, 'CREATE',
                lambda: heat.stacks.create(
                    stack_name=name, template=tpl, files=files))
            if status != 'CREATE_COMPLETE':
                row['%s_failed' % kind] = failure_reason(heat, stack_id)
                say('stacks: %s N=%d: %s' % (kind, n, row['%s_failed' % kind]))
                heat.stacks.delete(stack_id)
                wait_stack(heat, stack_id, 'DELETE')
                break
            row['%s_create_s' % kind] = round(took, 3)
            row['%s_create_stages' % kind] = steps
            if kind == 'chains':
                row['calls_create_per_chain'] = per_resource(calls, n)
            took, status, calls, _, _ = stack_op(
                heat,
                access,
                engine,
                name,
                'DELETE',
                lambda: heat.stacks.delete(stack_id),
                stack_id,
            )
            row['%s_delete_s' % kind] = round(took, 3)
            if kind == 'chains':
                row['calls_delete_per_chain'] = per_resource(calls, n)
        row['load_after'] = loadavg()
        if 'chains_create_s' in row and 'random_create_s' in row:
            row['create_ratio'] = round(
                row['chains_create_s'] / row['random_create_s'], 2
            )
            row['delete_ratio'] = round(
                row['chains_delete_s'] / row['random_delete_s'], 2
            )
        return row

    def show(row, what):
        if 'create_ratio' not in row:
            return
        say(
            'stacks: %sN=%-2d (%2d resources) create: chains %6.2f s,'
            ' RandomString chains %6.2f s, ratio %.2f; delete: %6.2f s vs'
            ' %6.2f s, ratio %.2f (load %s -> %s)'
            % (
                what + ' ' if what else '',
                row['n'],
                row['resources'],
                row['chains_create_s'],
                row['random_create_s'],
                row['create_ratio'],
                row['chains_delete_s'],
                row['random_delete_s'],
                row['delete_ratio'],
                row['load_before'],
                row['load_after'],
            )
        )
        if row['n'] == 1:
            say('stacks:   where the time went (heat-engine\'s log, s): %s'
                % '; '.join(
                    '%s %s' % (kind, ' '.join(
                        '%s %.3f' % stage
                        for stage in row['%s_create_stages' % kind]))
                    for kind in ('chains', 'random')))

    # The first stacks after a start pay for what heat-engine loads on first
    # use (the Qinling and Aodh clients, their plugins) and for cold caches:
    # one pair first, printed, not counted.
    warm_up = measure(1)
    show(warm_up, 'warm-up (not counted):')
    results['stacks_warm_up'] = warm_up
    rows = []
    for n in sizes:
        # one chain is a 1-3 s operation: its ratio is the median of five
        runs = [measure(n) for _ in range(REPEATS.get(n, 1))]
        done = [r for r in runs if 'create_ratio' in r]
        row = (sorted(done, key=lambda r: r['create_ratio'])[len(done) // 2]
               if done else runs[-1])
        if len(runs) > 1:
            for run in runs:
                show(run, 'run')
            row = dict(row, runs=[
                {k: r.get(k) for k in ('create_ratio', 'delete_ratio')}
                for r in runs])
        show(row, 'median' if len(runs) > 1 else '')
        if 'create_ratio' in row:
            say(
                'stacks: N=%d Qinling calls per chain (function + webhook):'
                ' create %s; delete %s'
                % (
                    n,
                    json.dumps(row['calls_create_per_chain']),
                    json.dumps(row['calls_delete_per_chain']),
                )
            )
        rows.append(row)
    results['stacks'] = rows
    try:   # a fresh session: the one above may be long-lived by now
        results['qinling_calls'] = other_calls(
            clients.heat(cloud), access, engine, template
        )
    except Exception as exc:  # noqa: BLE001 - the figures above still count
        say('calls: FAILED: %s: %s' % (type(exc).__name__, exc))
        results['qinling_calls'] = {'failed': str(exc)[:300]}


def other_calls(heat, access, engine, template):
    """Qinling calls of template validate, update (function and webhook
    description), check, for one chain."""
    files, tpl = template('calls.yaml', chains_template(1, 'benchmark.none'))
    name = 'bench-calls-%d' % os.getpid()
    counts = {}
    access.mark()
    heat.stacks.validate(template=tpl, files=files)
    time.sleep(0.3)
    counts['validate'] = access.calls()
    _, status, calls, stack_id, _ = stack_op(
        heat,
        access,
        engine,
        name,
        'CREATE',
        lambda: heat.stacks.create(stack_name=name, template=tpl, files=files),
    )
    counts['create'] = calls
    try:
        files2, tpl2 = template(
            'calls-2.yaml', chains_template(1, 'benchmark.none', 'v2')
        )
        _, status, counts['update'], _, _ = stack_op(
            heat,
            access,
            engine,
            name,
            'UPDATE',
            lambda: (
                heat.stacks.update(stack_id, template=tpl2, files=files2)
                or {'stack': {'id': stack_id}}
            ),
            stack_id,
        )
        _, status, counts['check'], _, _ = stack_op(
            heat,
            access,
            engine,
            name,
            'CHECK',
            lambda: (
                heat.actions.check(stack_id) or {'stack': {'id': stack_id}}
            ),
            stack_id,
        )
    finally:
        _, status, counts['delete'], _, _ = stack_op(
            heat,
            access,
            engine,
            name,
            'DELETE',
            lambda: (
                heat.stacks.delete(stack_id) or {'stack': {'id': stack_id}}
            ),
            stack_id,
        )
    for op, calls in counts.items():
        say(
            'calls: one chain (function + webhook), %-8s %s'
            % (op, json.dumps(calls))
        )
    return counts


# -- latency ------------------------------------------------------------------
TIMING_LINE = re.compile(
    r'localcloud-timing (webhook-invoke|engine) (.*)$', re.M
)


class TimingLog:
    """The ``localcloud-timing`` lines of qinling-api and qinling-engine
    (``qinling_runtime.patches``): wall-clock times of each execution's
    stages."""

    def __init__(self, cloud):
        self.paths = {'webhook-invoke': cloud.log_path('qinling-api'),
                      'engine': cloud.log_path('qinling-engine')}
        self.offsets = {k: os.path.getsize(p) for k, p in self.paths.items()}
        self.seen = {'webhook-invoke': {}, 'engine': {}}

    def read(self):
        for kind, path in self.paths.items():
            with open(path, errors='replace') as f:
                f.seek(self.offsets[kind])
                text = f.read()
            cut = text.rfind('\n') + 1   # whole lines only
            self.offsets[kind] += len(text[:cut].encode(errors='replace'))
            for found_kind, fields in TIMING_LINE.findall(text[:cut]):
                values = dict(f.split('=', 1) for f in fields.split())
                self.seen[found_kind][values['execution']] = values

    def wait_engine(self, function_id, known, timeout=60):
        """The first engine line of ``function_id`` for an execution not in
        ``known``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            for execution, values in self.seen['engine'].items():
                if (
                    values['function'] == function_id
                    and execution not in known
                ):
                    return execution, values
            time.sleep(0.005)
        raise SystemExit('benchmark: no execution of %s committed within %d s'
                         % (function_id, timeout))


def matching_alarms(aodh, event_type):
    """The enabled event alarms of the project that fire on ``event_type``."""
    import fnmatch
    found = []
    for alarm in aodh.alarm.list():
        rule = alarm.get('event_rule') or {}
        if (
            alarm.get('type') == 'event'
            and alarm.get('enabled')
            and fnmatch.fnmatch(event_type, rule.get('event_type') or '*')
        ):
            found.append(alarm['alarm_id'])
    return found


class EventTap:
    """When Ceilometer published each event to Aodh: a queue of our own bound
    where aodh-listener's is (exchange ``ceilometer``, routing key
    ``alarm.all.sample``), read in a thread. Each message's time is the
    ``timestamp`` Ceilometer's notifier wrote when it sent it (UTC, the
    machine's clock); a copy to one more queue costs RabbitMQ next to
    nothing, and Ceilometer and Aodh run as they always do."""

    def __init__(self, cloud):
        import kombu
        from localcloud import events
        self.published = {}   # event message_id -> time.time() value
        self.stopped = False
        url = 'amqp://' + cloud.transport_url.split('://', 1)[1]
        self.conn = kombu.Connection(url)
        exchange = kombu.Exchange(events.CEILOMETER_EXCHANGE, type='topic',
                                  durable=False)
        self.queue = kombu.Queue(
            'benchmark-tap-%d' % os.getpid(), exchange=exchange,
            routing_key=events.EVENT_TOPIC + '.sample', exclusive=True,
            auto_delete=True)
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise SystemExit('benchmark: cannot bind the event tap')

    def _record(self, body, message):
        body = json.loads(body['oslo.message']) if 'oslo.message' in body \
            else body
        when = datetime.datetime.strptime(
            body['timestamp'], '%Y-%m-%d %H:%M:%S.%f').replace(
                tzinfo=datetime.timezone.utc).timestamp()
        for event in body.get('payload') or []:
            self.published[event['message_id']] = when
        message.ack()

    def _run(self):
        import kombu
        with kombu.Consumer(self.conn, [self.queue],
                            callbacks=[self._record]):
            self.ready.set()
            while not self.stopped:
                try:
                    self.conn.drain_events(timeout=0.2)
                except socket.timeout:
                    pass

    def close(self):
        self.stopped = True
        self.thread.join(5)
        self.conn.release()


def _percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]   # nearest rank
    return {
        'events': len(ordered),
        'min_ms': round(1000 * ordered[0]),
        'median_ms': round(1000 * statistics.median(ordered)),
        'p95_ms': round(1000 * p95),
        'max_ms': round(1000 * ordered[-1]),
    }


def _stage_figures(stages, names):
    total = sum(sum(s[k] for k in names) for s in stages) or 1
    return {
        k: {
            'median_ms': round(
                1000 * statistics.median(s[k] for s in stages), 1
            ),
            'share': round(sum(s[k] for s in stages) / total, 3),
        }
        for k in names
    }


# the two paths an event takes: through Ceilometer from the service-shaped
# notification, and the seed's direct event to Aodh
PATHS = ('ceilometer', 'direct')
STAGES = {
    'ceilometer': ('ceilometer', 'aodh', 'qinling_api', 'engine', 'worker'),
    'direct': ('aodh', 'qinling_api', 'engine', 'worker'),
}


def latency(cloud, workdir, count, results):
    """Sequential events on one alarm with repeat_actions true (every event
    POSTs), through both paths, taken in turns.

    ``ceilometer``: the notification Nova sends (a Nova-shaped payload of a
    compute.instance.* type of the benchmark's own, which Ceilometer's
    compute.instance.* definition converts), published on Nova's exchange;
    ceilometer-agent-notification makes the event and publishes it to Aodh.
    ``direct``: the same event type sent straight to Aodh's topic as
    Ceilometer's publisher sends it (the seed's path). Each figure runs from
    just before the publish (benchmark clock) to the commit of the
    execution's final status (qinling-engine's clock, same host), from the
    services' timing lines and the event tap: nothing polls Qinling while
    events run."""
    from localcloud import clients
    from localcloud import events

    # the seed's default: every matching event runs the function
    path = SEED
    name = 'bench-latency-%d' % os.getpid()
    say(
        'latency: creating stack %s (the seed chain, repeat_actions true) ...'
        % name
    )
    started = time.monotonic()
    clients.run_cli(
        cloud,
        [
            'openstack',
            'stack',
            'create',
            '--wait',
            '-t',
            path,
            '--parameter',
            'event_type=%s' % BENCH_EVENT,
            name,
        ],
        echo=False,
    )
    tap = None
    try:
        heat = clients.heat(cloud)
        outputs = {
            o['output_key']: o['output_value']
            for o in heat.stacks.get(name).outputs
        }
        say('latency: stack created in %.1f s' % (time.monotonic() - started))
        function_id = outputs['function_id']
        alarms = matching_alarms(clients.aodh(cloud), BENCH_EVENT)
        if alarms != [outputs['alarm_id']]:
            raise SystemExit(
                'benchmark: expected exactly one alarm on %s in the project '
                '(%s), found %s: each event would run the function %d times'
                % (BENCH_EVENT, outputs['alarm_id'], alarms, len(alarms))
            )
        say(
            'latency: exactly one alarm fires on %s: %s'
            % (BENCH_EVENT, alarms[0])
        )
        qinling = clients.qinling(cloud)
        project_id = clients.project_id(cloud)
        time.sleep(clients.alarm_cache_ttl(cloud) + 0.5)
        timing = TimingLog(cloud)
        tap = EventTap(cloud)
        samples = {p: [] for p in PATHS}
        stages = {p: [] for p in PATHS}
        known = set()
        load_before = loadavg()
        # connected before the clock starts; no alarm fires on these
        publisher = events.Publisher(cloud)
        publisher.send(events.build('compute.instance.warm-up.end',
                                    project_id))
        publisher.send_event('benchmark.warm-up')

        def one(path, i):
            """Publish one event by ``path``; its time and stages."""
            if path == 'ceilometer':
                # built before the clock starts: the publish is timed
                notification = events.build(BENCH_EVENT, project_id,
                                            name='bench-%d' % i)
                begin = time.time()
                publisher.send(notification)
                message_id = notification.message_id
            else:
                begin = time.time()
                message_id = publisher.send_event(
                    BENCH_EVENT, [('display_name', 'bench-%d' % i)],
                    project_id)['message_id']
            execution, engine = timing.wait_engine(function_id, known)
            known.add(execution)
            api = timing.seen['webhook-invoke'].get(execution)
            committed = float(engine['committed'])
            stage = None
            # Aodh's part starts when the event is on its topic: ours, or
            # Ceilometer's
            published = (tap.published.get(message_id)
                         if path == 'ceilometer' else begin)
            if api and published:
                received = float(api['received'])
                worker = float(engine['worker_done']) - float(
                    engine['worker_sent'])
                stage = {
                    'aodh': received - published,
                    'qinling_api': float(engine['received']) - received,
                    'engine': committed - float(engine['received']) - worker,
                    'worker': worker,
                }
                if path == 'ceilometer':
                    stage['ceilometer'] = published - begin
            return committed - begin, stage

        first, _ = one('ceilometer', 0)
        say('latency: first event (new function, worker started at create),'
            ' through Ceilometer -> success committed in %4.0f ms'
            % (1000 * first))
        for i in range(1, count + 1):
            for path in PATHS:
                took, stage = one(path, i)
                samples[path].append(took)
                if stage:
                    stages[path].append(stage)
            if i % 10 == 0 or i == count:
                say('latency: event %2d -> committed in %4.0f ms through'
                    ' Ceilometer, %4.0f ms direct'
                    % (i, 1000 * samples['ceilometer'][-1],
                       1000 * samples['direct'][-1]))
        load_after = loadavg()
        publisher.close()
        found = clients.executions(qinling, function_id)
        statuses = sorted({e.status for e in found})
        if len(found) != 2 * count + 1 or statuses != ['success']:
            raise SystemExit(
                'benchmark: %d events made %d executions with status(es) %s'
                % (2 * count + 1, len(found), statuses)
            )
    finally:
        if tap:
            tap.close()
        clients.run_cli(
            cloud,
            ['openstack', 'stack', 'delete', '--yes', '--wait', name],
            echo=False,
        )
    figures = {'event_type': BENCH_EVENT, 'first_ms': round(1000 * first),
               'load': [load_before, load_after]}
    for path in PATHS:
        figures[path] = _percentiles(samples[path])
        figures[path]['stages'] = _stage_figures(stages[path], STAGES[path])
    figures['ceilometer_minus_direct_median_ms'] = (
        figures['ceilometer']['median_ms'] - figures['direct']['median_ms'])
    results['latency'] = figures
    say(
        'latency: measured from before the publish (benchmark) to the commit'
        ' of the execution status success (qinling-engine), read from the'
        ' services\' timing lines and an event tap; exactly one alarm, one'
        ' execution per event, all success; the two paths in turns'
    )
    for path, what in (('ceilometer', 'service notification -> Ceilometer'
                        ' -> Aodh'), ('direct', 'event straight to Aodh')):
        say(
            'latency %-10s (%s) over %d events after the first: min %d ms,'
            ' median %d ms, p95 %d ms, max %d ms'
            % ((path, what, figures[path]['events'])
               + tuple(figures[path][k] for k in (
                   'min_ms', 'median_ms', 'p95_ms', 'max_ms')))
        )
    say(
        'latency: through Ceilometer the median is %+d ms from the direct'
        ' path\'s; first event of the new function %d ms'
        % (figures['ceilometer_minus_direct_median_ms'], figures['first_ms'])
    )
    say(
        'latency: load average %s before, %s after' % (load_before, load_after)
    )
    for path in PATHS:
        for k, v in figures[path]['stages'].items():
            say('latency: %-10s stage %-12s median %6.1f ms, %4.1f %% of the'
                ' time' % (path, k, v['median_ms'], 100 * v['share']))
    say(
        'latency: stages: ceilometer = publish of the notification ->'
        ' Ceilometer publishes the event (RabbitMQ, the agent\'s conversion'
        ' and pipeline); aodh = publish of the event -> qinling-api starts'
        ' the invoke (RabbitMQ, aodh-listener, aodh-notifier, HTTP, webhook'
        ' lookup); qinling_api = trust token, DB writes, RPC cast until the'
        ' engine takes it; engine = its DB reads and the final status commit;'
        ' worker = POST /execute round trip (fork + run)'
    )


def _children_map():
    children = {}
    for entry in os.listdir('/proc'):
        stat = util.proc_stat(int(entry)) if entry.isdigit() else None
        if stat is not None:
            children.setdefault(stat.ppid, []).append(int(entry))
    return children


def _memory_kib(pid):
    """(RSS, PSS) of one process in KiB.

    RSS counts every page a process maps, so the pages that forked workers
    share with their parent (heat-engine, Keystone, Aodh, Horizon, gunicorn)
    are counted once per process; PSS splits each shared page among its
    sharers, so the PSS of all processes adds up to the memory they really
    occupy.
    """
    rss = pss = 0
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Rss:'):
                    rss = int(line.split()[1])
                elif line.startswith('Pss:'):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


MEMORY_GOAL_MIB = 2048


def memory(cloud, results):
    """RSS and PSS of every recorded process plus its descendants, per service
    and in total."""
    sup = cloud.supervisor
    children = _children_map()
    rows, total_rss, total_pss = [], 0, 0
    for service in cloud.services():
        for proc in service.processes(cloud):
            pid = sup.running(proc.name)
            if not pid:
                continue
            tree, todo = [], [pid]
            while todo:
                p = todo.pop()
                tree.append(p)
                todo += children.get(p, [])
            sizes = [_memory_kib(p) for p in tree]
            rss = sum(r for r, _ in sizes) / 1024
            pss = sum(p for _, p in sizes) / 1024
            total_rss += rss
            total_pss += pss
            rows.append({'service': service.name, 'process': proc.name,
                         'processes': len(tree), 'rss_mib': round(rss),
                         'pss_mib': round(pss)})
            say(
                'memory: %-9s %-15s %2d process(es) RSS %5.0f MiB, PSS'
                ' %5.0f MiB' % (service.name, proc.name, len(tree), rss, pss)
            )
    results['memory'] = {
        'total_mib': round(total_pss),
        'total_pss_mib': round(total_pss),
        'total_rss_mib': round(total_rss),
        'processes': rows,
    }
    say(
        'memory: the whole cloud occupies %.0f MiB (sum of PSS; %d processes;'
        ' the goal: at most %d MiB); the sum of their RSS, which counts pages'
        ' shared by forked workers once per process, is %.0f MiB'
        % (total_pss, sum(r['processes'] for r in rows), MEMORY_GOAL_MIB,
           total_rss)
    )


def cloud_parts(cloud, parts, args, results):
    """stacks, latency and memory, in this interpreter (the main venv)."""
    from localcloud import lifecycle
    if not lifecycle.rows(cloud, cloud.services())[1]:
        say('the cloud is not up: tools/localcloud up ...')
        lifecycle.up(cloud)
    workdir = tempfile.mkdtemp(prefix='heat-qinling-bench-')
    try:
        if 'cli' in parts:
            cli(cloud, results)
        if 'stacks' in parts:
            stacks(cloud, workdir, args.sizes, results)
        if 'latency' in parts:
            latency(cloud, workdir, args.events, results)
        if 'memory' in parts:
            memory(cloud, results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def in_main_venv(cloud):
    return os.path.realpath(sys.prefix) == os.path.realpath(cloud.venv)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='tools/benchmark',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        '--state-dir', default=DEFAULT_STATE_DIR,
        help='cloud to measure (default: %(default)s; cold-up needs it empty)')
    parser.add_argument('--base-port', type=int, default=DEFAULT_BASE_PORT,
                        help='default: %(default)s')
    parser.add_argument('--only', default=','.join(PARTS),
                        help='comma-separated parts of: %s' % ', '.join(PARTS))
    parser.add_argument('--sizes', default=DEFAULT_SIZES,
                        type=lambda s: [int(x) for x in s.split(',')],
                        help='seed chains per stack (default: 1,10,30)')
    parser.add_argument('--events', type=int, default=DEFAULT_EVENTS,
                        help='events for the latency (default: %(default)s)')
    parser.add_argument(
        '--keep',
        action='store_true',
        help='leave a cloud that cold-up made running (default: destroy it)',
    )
    parser.add_argument(
        '--results', help='also write the figures as JSON to this file'
    )
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(',') if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error('unknown part(s): %s' % ', '.join(sorted(unknown)))
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    cloud = config.Cloud(state_dir=args.state_dir, base_port=args.base_port)
    results = {}
    started = time.monotonic()
    if not os.environ.get('LOCALCLOUD_BENCH_CHILD'):
        results['machine'] = machine()
        say(
            'machine: %(nproc)s CPUs (%(cpu)s), %(ram_gib)s GiB RAM, Python'
            ' %(python)s, %(os)s, kernel %(kernel)s; CPU reference (2e6'
            ' iterations of a Python loop) %(cpu_reference_s)s s'
            % results['machine']
        )
    os.makedirs(cloud.state_dir, exist_ok=True)
    log = os.path.join(
        tempfile.gettempdir(), 'heat-qinling-benchmark-%d.log' % os.getpid()
    )
    say('state dir %s, base port %d, log of the tools/localcloud runs: %s'
        % (cloud.state_dir, cloud.base_port, log))
    if 'cold-up' in args.parts:
        cold_up(cloud, log, results)
    if 'warm-up' in args.parts:
        warm_up(cloud, log, results)
    if 'demo' in args.parts:
        demo(cloud, log, results)
    wanted = [p for p in args.parts if p in CLOUD_PARTS]
    if wanted and in_main_venv(cloud):
        cloud_parts(cloud, wanted, args, results)
    elif wanted:
        # the clients live in the cloud's main venv: measure from there
        child_results = os.path.join(cloud.state_dir, 'benchmark-results.json')
        cmd = [
            cloud.python,
            '-m',
            'localcloud.bench',
            '--state-dir',
            cloud.state_dir,
            '--base-port',
            str(cloud.base_port),
            '--only',
            ','.join(wanted),
            '--sizes',
            ','.join(map(str, args.sizes)),
            '--events',
            str(args.events),
            '--keep',
            '--results',
            child_results,
        ]
        env = dict(
            os.environ, LOCALCLOUD_BENCH_CHILD='1', PYTHONPATH=config.REPO_DIR
        )
        if subprocess.call(cmd, env=env) != 0:
            raise SystemExit('benchmark: the cloud-side parts failed')
        with open(child_results) as f:
            results.update(json.load(f))
    if 'cold-up' in args.parts and not args.keep:
        launcher(cloud, 'destroy', log=log)
        say(
            'destroyed the cloud it made (%s); --keep leaves it up'
            % cloud.state_dir
        )
    if args.results:
        with open(args.results, 'w') as f:
            json.dump(results, f, indent=1)
    if not os.environ.get('LOCALCLOUD_BENCH_CHILD'):
        say('figures (JSON):\n' + json.dumps(results, indent=1))
        say('done in %.1f s' % (time.monotonic() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
