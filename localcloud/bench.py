"""``tools/benchmark``: figures of the local cloud and the plugin (it prints; it is no test).

Parts, in order (``--only a,b``):

``cold-up``  ``tools/localcloud up`` on an empty state dir: venvs, installs, configs,
             databases, start. pip uses its usual cache and configured index.
``warm-up``  ``up`` again with everything healthy; then ``down`` and ``up`` from
             stopped processes (state kept).
``demo``     ``tools/localcloud demo``.
``stacks``   ``openstack stack create --wait`` and ``stack delete --wait`` of N seed chains
             (function + webhook + alarm) in one stack, next to N x 3
             ``OS::Heat::RandomString`` in one stack (Heat's own floor), N = 1, 10, 30.
``latency``  event emitted -> execution ``success``, over 20 events, one at a time.
``memory``   resident memory of every recorded process and its children.

The cloud-side parts (stacks, latency, memory) need the clients: when started with a
plain python3 the script re-runs itself with the cloud's main venv for them.
"""
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from localcloud import config

PARTS = ('cold-up', 'warm-up', 'demo', 'stacks', 'latency', 'memory')
CLOUD_PARTS = ('stacks', 'latency', 'memory')
DEFAULT_BASE_PORT = 19000
DEFAULT_SIZES = (1, 10, 30)
DEFAULT_EVENTS = 20
LAUNCHER = os.path.join(config.REPO_DIR, 'tools', 'localcloud')
SEED = os.path.join(config.REPO_DIR, 'templates', 'function-webhook-event-alarm.yaml')
BENCH_EVENT = 'benchmark.latency'
# how often the latency part asks Qinling for the execution: the resolution of its figures
POLL_INTERVAL = 0.05


def say(msg):
    print('benchmark: %s' % msg, flush=True)


# -- machine ---------------------------------------------------------------
def machine():
    """nproc, RAM, CPU model, Python, OS: what the figures were measured on."""
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
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
            os_name = dict(l.rstrip().split('=', 1) for l in f if '=' in l)['PRETTY_NAME'].strip('"')
    except (OSError, KeyError):
        pass
    return {'nproc': os.cpu_count(), 'ram_gib': round(mem_kib / 1024 / 1024, 1),
            'cpu': cpu, 'python': platform.python_version(), 'os': os_name,
            'kernel': platform.release()}


# -- cold/warm up and demo (subprocesses of tools/localcloud) ---------------
def launcher(cloud, *argv, log):
    """Run tools/localcloud for ``cloud``, its output appended to ``log``; return seconds."""
    cmd = [LAUNCHER, '--state-dir', cloud.state_dir, '--base-port', str(cloud.base_port)]
    cmd += list(argv)
    started = time.monotonic()
    with open(log, 'a') as out:
        out.write('\n$ %s\n' % ' '.join(cmd))
        out.flush()
        code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    took = time.monotonic() - started
    if code != 0:
        raise SystemExit('benchmark: `tools/localcloud %s` failed (exit %d); see %s'
                         % (' '.join(argv), code, log))
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
        raise SystemExit('benchmark: cold-up needs an empty state dir, and %s has a venv; '
                         'use another --state-dir or `tools/localcloud --state-dir %s destroy`'
                         % (cloud.state_dir, cloud.state_dir))
    pip_cache = os.path.expanduser('~/.cache/pip')
    say('cold up: tools/localcloud up on the empty state dir %s (pip cache %s: %.0f MiB) ...'
        % (cloud.state_dir, pip_cache, du_mib(pip_cache) if os.path.isdir(pip_cache) else 0))
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
def chains_template(n, event_type):
    """HOT with ``n`` seed chains (function, webhook, event alarm), files shared."""
    lines = ['heat_template_version: 2018-08-31', 'resources:']
    for i in range(n):
        lines += [
            '  function%d:' % i,
            '    type: OS::Qinling::Function',
            '    properties:',
            '      runtime: python3',
            '      entry: hello_world.main',
            '      files: {hello_world.py: {get_file: functions/hello_world.py}}',
            '  webhook%d:' % i,
            '    type: OS::Qinling::Webhook',
            '    properties: {function: {get_resource: function%d}}' % i,
            '  alarm%d:' % i,
            '    type: OS::Aodh::EventAlarm',
            '    properties:',
            '      event_type: %s' % event_type,
            '      repeat_actions: false',
            '      alarm_actions: [{get_attr: [webhook%d, webhook_url]}]' % i,
        ]
    return '\n'.join(lines) + '\n'


def random_template(n):
    lines = ['heat_template_version: 2018-08-31', 'resources:']
    lines += ['  random%d: {type: OS::Heat::RandomString}' % i for i in range(n)]
    return '\n'.join(lines) + '\n'


def timed_cli(cloud, argv):
    from localcloud import clients
    started = time.monotonic()
    clients.run_cli(cloud, argv, echo=False)
    return time.monotonic() - started


def heat_create_seconds(heat, name):
    """Seconds from the stack's CREATE_IN_PROGRESS event to its CREATE_COMPLETE event,
    as Heat recorded them (whole seconds): the create without the CLI's start-up and
    its 5 s event polling."""
    import datetime
    times = {}
    for event in heat.events.list(name):
        if (event.resource_name == name
                and event.resource_status in ('CREATE_IN_PROGRESS', 'CREATE_COMPLETE')):
            times[event.resource_status.split('_', 1)[1]] = datetime.datetime.strptime(
                event.event_time, '%Y-%m-%dT%H:%M:%SZ')
    return int((times['COMPLETE'] - times['IN_PROGRESS']).total_seconds())


def failure_reason(heat, name):
    try:
        stack = heat.stacks.get(name)
    except Exception as exc:  # noqa: BLE001 - the reason is all we want
        return 'stack %s: %s' % (name, exc)
    return '%s: %s' % (stack.stack_status, (stack.stack_status_reason or '')[:300])


def cleanup_stack(cloud, heat, name, attempts=3):
    """Delete a failed benchmark stack, retrying a failed delete."""
    from localcloud import clients
    for _ in range(attempts):
        code, _ = clients.run_cli(cloud, ['openstack', 'stack', 'delete', '--yes', '--wait',
                                          name], echo=False, check=False)
        if code == 0:
            return
    say('stacks: could not delete %s: %s' % (name, failure_reason(heat, name)))


def stacks(cloud, workdir, sizes, results):
    from localcloud import clients
    heat = clients.heat(cloud)
    shutil.copytree(os.path.join(config.REPO_DIR, 'templates', 'functions'),
                    os.path.join(workdir, 'functions'), dirs_exist_ok=True)
    # the CLI's own start-up is in every figure below: show it once
    cli_floor = timed_cli(cloud, ['openstack', 'stack', 'list'])
    results['cli_stack_list_s'] = round(cli_floor, 1)
    say('stacks: `openstack stack list` (CLI start-up + one API call): %.1f s' % cli_floor)
    rows = []
    for n in sizes:
        for kind, text, resources in (('chains', chains_template(n, 'benchmark.none'), 3 * n),
                                      ('random', random_template(3 * n), 3 * n)):
            path = os.path.join(workdir, '%s-%d.yaml' % (kind, n))
            with open(path, 'w') as f:
                f.write(text)
            name = 'bench-%s-%d-%d' % (kind, n, os.getpid())
            what = ('%d seed chain(s)' % n if kind == 'chains'
                    else '%d OS::Heat::RandomString' % resources)
            row = {'kind': kind, 'n': n, 'resources': resources}
            rows.append(row)
            try:
                create = timed_cli(cloud, ['openstack', 'stack', 'create', '--wait', '-t',
                                           path, name])
                row.update(create_s=round(create, 1),
                           create_in_heat_s=heat_create_seconds(heat, name))
                delete = timed_cli(cloud, ['openstack', 'stack', 'delete', '--yes', '--wait',
                                           name])
                row['delete_s'] = round(delete, 1)
            except clients.CommandFailed:
                # a failure is a figure too: report why and go on with the other sizes
                row['failed'] = failure_reason(heat, name)
                say('stacks: %-26s %3d resources: FAILED: %s' % (what, resources, row['failed']))
                cleanup_stack(cloud, heat, name)
                continue
            say('stacks: %-26s %3d resources: create %5.1f s (in Heat %3d s), delete %5.1f s'
                % (what, resources, row['create_s'], row['create_in_heat_s'], row['delete_s']))
    results['stacks'] = rows


def latency(cloud, workdir, count, results):
    """Sequential events on one alarm with repeat_actions true (every event POSTs)."""
    from localcloud import clients
    from localcloud import events

    # the seed's default: every matching event runs the function
    path = SEED
    name = 'bench-latency-%d' % os.getpid()
    say('latency: creating stack %s (the seed chain, repeat_actions true) ...' % name)
    started = time.monotonic()
    clients.run_cli(cloud, ['openstack', 'stack', 'create', '--wait', '-t', path,
                            '--parameter', 'event_type=%s' % BENCH_EVENT, name], echo=False)
    try:
        heat = clients.heat(cloud)
        outputs = {o['output_key']: o['output_value'] for o in heat.stacks.get(name).outputs}
        say('latency: stack created in %.1f s' % (time.monotonic() - started))
        function_id = outputs['function_id']
        qinling = clients.qinling(cloud)
        project_id = clients.project_id(cloud)
        time.sleep(clients.alarm_cache_ttl(cloud) + 0.5)
        samples, emits, durations = [], [], []
        for i in range(count):
            before = time.monotonic()
            events.emit(cloud, BENCH_EVENT, [('sequence', str(i))], project_id)
            sent = time.monotonic()
            found = clients.wait_for(
                lambda: clients.finished_executions(qinling, function_id, i + 1),
                60, 'execution %d of function %s' % (i + 1, function_id), interval=POLL_INTERVAL)
            done = time.monotonic()
            newest = found[-1]
            if len(found) != i + 1 or newest.status != 'success':
                raise SystemExit('benchmark: after event %d: %d executions, the newest %s'
                                 % (i + 1, len(found), newest.status))
            result = newest.result
            result = json.loads(result) if isinstance(result, str) else result
            durations.append(result.get('duration', 0))
            samples.append(done - sent)
            emits.append(sent - before)
            say('latency: event %2d -> success in %4.0f ms' % (i + 1, 1000 * (done - sent)))
    finally:
        clients.run_cli(cloud, ['openstack', 'stack', 'delete', '--yes', '--wait', name],
                        echo=False)
    ordered = sorted(samples)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]   # nearest rank
    figures = {'events': count, 'min_ms': ordered[0], 'median_ms': statistics.median(ordered),
               'p95_ms': p95, 'max_ms': ordered[-1], 'first_ms': samples[0],
               'emit_call_median_ms': statistics.median(emits),
               'function_duration_median_ms': statistics.median(durations)}
    figures = {k: (v if k == 'events' else round(1000 * v)) for k, v in figures.items()}
    results['latency'] = figures
    say('latency over %(events)d events: min %(min_ms)d ms, median %(median_ms)d ms, '
        'p95 %(p95_ms)d ms, max %(max_ms)d ms (first event, worker cold start: '
        '%(first_ms)d ms)' % figures)


def _children_map():
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                data = f.read()
        except OSError:
            continue
        ppid = int(data[data.rindex(')') + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def _rss_kib(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(cloud, results):
    """RSS of every recorded process plus all its descendants, per service and in total."""
    sup = cloud.supervisor
    children = _children_map()
    rows, total = [], 0
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
            rss = sum(_rss_kib(p) for p in tree) / 1024
            total += rss
            rows.append({'service': service.name, 'process': proc.name,
                         'processes': len(tree), 'rss_mib': round(rss)})
            say('memory: %-9s %-15s %2d process(es) %5.0f MiB'
                % (service.name, proc.name, len(tree), rss))
    results['memory'] = {'total_mib': round(total), 'processes': rows}
    say('memory: the whole cloud %.0f MiB resident (%d processes)'
        % (total, sum(r['processes'] for r in rows)))


def cloud_parts(cloud, parts, args, results):
    """stacks, latency and memory, in this interpreter (the main venv)."""
    from localcloud import cli
    if not cli.rows(cloud, cloud.services())[1]:
        say('the cloud is not up: tools/localcloud up ...')
        cli.up(cloud)
    workdir = tempfile.mkdtemp(prefix='heat-qinling-bench-')
    try:
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
    parser = argparse.ArgumentParser(prog='tools/benchmark', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--state-dir', default=os.path.join(
        tempfile.gettempdir(), 'heat-qinling-benchmark'),
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
    parser.add_argument('--keep', action='store_true',
                        help='leave a cloud that cold-up made running (default: destroy it)')
    parser.add_argument('--results', help='also write the figures as JSON to this file')
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
        say('machine: %(nproc)s CPUs (%(cpu)s), %(ram_gib)s GiB RAM, Python %(python)s, '
            '%(os)s, kernel %(kernel)s' % results['machine'])
    os.makedirs(cloud.state_dir, exist_ok=True)
    log = os.path.join(tempfile.gettempdir(), 'heat-qinling-benchmark-%d.log' % os.getpid())
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
        cmd = [cloud.python, '-m', 'localcloud.bench', '--state-dir', cloud.state_dir,
               '--base-port', str(cloud.base_port), '--only', ','.join(wanted),
               '--sizes', ','.join(map(str, args.sizes)), '--events', str(args.events),
               '--keep', '--results', child_results]
        env = dict(os.environ, LOCALCLOUD_BENCH_CHILD='1', PYTHONPATH=config.REPO_DIR)
        if subprocess.call(cmd, env=env) != 0:
            raise SystemExit('benchmark: the cloud-side parts failed')
        with open(child_results) as f:
            results.update(json.load(f))
    if 'cold-up' in args.parts and not args.keep:
        launcher(cloud, 'destroy', log=log)
        say('destroyed the cloud it made (%s); --keep leaves it up' % cloud.state_dir)
    if args.results:
        with open(args.results, 'w') as f:
            json.dump(results, f, indent=1)
    if not os.environ.get('LOCALCLOUD_BENCH_CHILD'):
        say('figures (JSON):\n' + json.dumps(results, indent=1))
        say('done in %.1f s' % (time.monotonic() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
