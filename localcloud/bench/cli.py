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

Parts, in order (``--only a,b``; each figure with a goal is printed next to
it):

``cold-demo`` ``tools/localcloud demo`` on a throwaway state dir
             (``<state dir>/first-run/cold``, base port + 100) with empty uv
             and pip caches of its own; apt lists not updated. Timed to the
             execution's output (goal <= 150 s).
``warm-demo`` the same on a second throwaway state dir with the caches the
             cold demo filled (the user's own without it) (goal <= 90 s);
             then ``down`` and ``up`` of that cloud (goal <= 15 s).
``cold-up``  ``tools/localcloud up`` on an empty state dir: venvs, installs,
             configs, databases, start. pip uses its usual cache and
             configured index.
``warm-up``  ``up`` again with everything healthy; then ``down`` and ``up``
             from stopped processes (state kept) (goal <= 15 s).
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
             Ceilometer's events (goals, direct path: median <= 80 ms,
             p95 <= 150 ms, first event <= 200 ms). The timing lines are on
             only while this part runs (``qinling_local.instrumentation``).
``memory``   resident memory of every recorded process and its children,
             against the 2 GiB the whole cloud may use.

Each figure is printed with the load average: the machine may be shared. The
cloud-side parts (cli, stacks, latency, memory) need the clients: when started
with a plain python3 the script re-runs itself with the cloud's main venv for
them.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from localcloud.bench import common
from localcloud.bench import firstrun
from localcloud.bench import latency
from localcloud.bench import machine
from localcloud.bench import memory
from localcloud.bench import openstack_cli
from localcloud.bench import stacks
from localcloud import config

say = common.say

PARTS = ('cold-demo', 'warm-demo', 'cold-up', 'warm-up', 'demo', 'cli',
         'stacks', 'latency', 'memory')
FIRST_RUN_PARTS = ('cold-demo', 'warm-demo')
CLOUD_PARTS = ('cli', 'stacks', 'latency', 'memory')
DEFAULT_SIZES = (1, 10, 30)
DEFAULT_EVENTS = 50


def cloud_parts(cloud, parts, args, results):
    """stacks, latency and memory, in this interpreter (the main venv)."""
    from localcloud import lifecycle
    if not lifecycle.rows(cloud, cloud.services())[1]:
        say('the cloud is not up: tools/localcloud up ...')
        lifecycle.up(cloud)
    workdir = tempfile.mkdtemp(prefix='heat-qinling-bench-')
    try:
        if 'cli' in parts:
            openstack_cli.run(cloud, results)
        if 'stacks' in parts:
            stacks.run(cloud, workdir, args.sizes, results)
        if 'latency' in parts:
            latency.run(cloud, workdir, args.events, results,
                        args.first_events)
        if 'memory' in parts:
            memory.run(cloud, results)
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
        '--state-dir',
        default=(os.environ.get('LOCALCLOUD_STATE_DIR')
                 or common.DEFAULT_STATE_DIR),
        help='cloud to measure (default: $LOCALCLOUD_STATE_DIR or'
             ' %s; cold-up needs it empty)' % common.DEFAULT_STATE_DIR)
    parser.add_argument(
        '--base-port', type=int,
        default=int(os.environ.get('LOCALCLOUD_BASE_PORT')
                    or common.DEFAULT_BASE_PORT),
        help='default: $LOCALCLOUD_BASE_PORT or %d; the first-run parts use'
             ' it + %d' % (common.DEFAULT_BASE_PORT,
                           firstrun.FIRST_RUN_PORT_SHIFT))
    parser.add_argument('--only', default=','.join(PARTS),
                        help='comma-separated parts of: %s' % ', '.join(PARTS))
    parser.add_argument('--sizes', default=DEFAULT_SIZES,
                        type=lambda s: [int(x) for x in s.split(',')],
                        help='seed chains per stack (default: 1,10,30)')
    parser.add_argument('--events', type=int, default=DEFAULT_EVENTS,
                        help='events for the latency (default: %(default)s)')
    parser.add_argument(
        '--first-events', type=int, default=latency.DEFAULT_FIRST_EVENTS,
        help='new functions besides the seed\'s whose first event the'
             ' latency part times (default: %(default)s)')
    parser.add_argument(
        '--keep',
        action='store_true',
        help='leave a cloud that cold-up made running, and the first-run'
             ' clouds stopped (default: destroy them)',
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


# (figure, key path in the results, goal, unit): the table of goals
GOALS = (
    ('cold demo (fresh state dir, empty caches)', ('cold_demo_s',),
     firstrun.COLD_DEMO_GOAL_S, 's'),
    ('warm demo (second state dir, warm caches)', ('warm_demo_s',),
     firstrun.WARM_DEMO_GOAL_S, 's'),
    ('up after down (warm demo\'s cloud)', ('warm_demo_up_after_down_s',),
     firstrun.UP_AFTER_DOWN_GOAL_S, 's'),
    ('up after down (measured cloud)', ('up_after_down_s',),
     firstrun.UP_AFTER_DOWN_GOAL_S, 's'),
    ('latency, direct path, median', ('latency', 'direct', 'median_ms'),
     latency.MEDIAN_GOAL_MS, 'ms'),
    ('latency, direct path, p95', ('latency', 'direct', 'p95_ms'),
     latency.P95_GOAL_MS, 'ms'),
    ('latency, first event of a new function', ('latency', 'first_ms'),
     latency.FIRST_GOAL_MS, 'ms'),
    ('memory of the whole cloud (PSS)', ('memory', 'total_pss_mib'),
     memory.MEMORY_GOAL_MIB, 'MiB'),
    ('demo on a running cloud', ('demo_s',), firstrun.DEMO_GOAL_S, 's'),
    ('openstack --version', ('cli', 'openstack --version', 'median_s'),
     openstack_cli.VERSION_GOAL_S, 's'),
)


def goals_table(results):
    """[(figure, value, goal, unit, met)] of the figures measured."""
    rows = []
    for what, keys, limit, unit in GOALS:
        value = results
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            rows.append((what, value, limit, unit, value <= limit))
    return rows


def run(args):
    cloud = config.Cloud(state_dir=args.state_dir, base_port=args.base_port)
    results = {}
    child = bool(os.environ.get('LOCALCLOUD_BENCH_CHILD'))
    if not child:
        results['machine'] = machine.machine()
        say(
            'machine: %(nproc)s CPUs (%(cpu)s), %(ram_gib)s GiB RAM, Python'
            ' %(python)s, %(os)s, kernel %(kernel)s; CPU reference (2e6'
            ' iterations of a Python loop) %(cpu_reference_s)s s'
            % results['machine']
        )
        say('load average (1, 5, 15 min): %s' % common.loadavg())
    os.makedirs(cloud.state_dir, exist_ok=True)
    log = os.path.join(
        tempfile.gettempdir(), 'heat-qinling-benchmark-%d.log' % os.getpid()
    )
    say('state dir %s, base port %d, log of the tools/localcloud runs: %s'
        % (cloud.state_dir, cloud.base_port, log))
    if set(FIRST_RUN_PARTS) & set(args.parts):
        first = firstrun.FirstRun(cloud, log, keep=args.keep)
        try:
            if 'cold-demo' in args.parts:
                firstrun.cold_demo(first, results)
            if 'warm-demo' in args.parts:
                firstrun.warm_demo(first, results)
        finally:
            first.close()
    if 'cold-up' in args.parts:
        firstrun.cold_up(cloud, log, results)
    if 'warm-up' in args.parts:
        firstrun.warm_up(cloud, log, results)
    if 'demo' in args.parts:
        firstrun.demo(cloud, log, results)
    wanted = [p for p in args.parts if p in CLOUD_PARTS]
    if wanted and in_main_venv(cloud):
        cloud_parts(cloud, wanted, args, results)
    elif wanted:
        # the clients live in the cloud's main venv: measure from there
        # (a cloud never brought up has no venv yet: the launcher makes it)
        if not os.path.exists(cloud.python):
            say('the cloud is not installed: tools/localcloud up ...')
            firstrun.launcher(cloud, 'up', log=log)
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
            '--first-events',
            str(args.first_events),
            '--keep',
            '--results',
            child_results,
        ]
        env = dict(
            os.environ, LOCALCLOUD_BENCH_CHILD='1', PYTHONPATH=config.REPO_DIR
        )
        if subprocess.call(cmd, env=env) != 0:
            raise common.BenchmarkError('the cloud-side parts failed')
        with open(child_results) as f:
            results.update(json.load(f))
    if 'cold-up' in args.parts and not args.keep:
        firstrun.launcher(cloud, 'destroy', log=log)
        say(
            'destroyed the cloud it made (%s); --keep leaves it up'
            % cloud.state_dir
        )
    if args.results:
        with open(args.results, 'w') as f:
            json.dump(results, f, indent=1)
    return results


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.monotonic()
    try:
        results = run(args)
    except common.BenchmarkError as exc:
        say('FAILED: %s' % exc)
        return 1
    if not os.environ.get('LOCALCLOUD_BENCH_CHILD'):
        say('figures (JSON):\n' + json.dumps(results, indent=1))
        rows = goals_table(results)
        if rows:
            say('figure | value | goal | met?')
            for what, value, limit, unit, met in rows:
                say('%s | %s %s | <= %s %s | %s' % (
                    what, value, unit, limit, unit, 'yes' if met else 'NO'))
        say('load average at the end: %s' % common.loadavg())
        say('done in %.1f s' % (time.monotonic() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
