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

"""Part ``latency``: event published -> execution status ``success``
committed, one event at a time, through Ceilometer and straight to Aodh, with
the stage shares; and the first event of a new function."""
import datetime
import json
import math
import os
import shutil
import socket
import statistics
import threading
import time

from localcloud.bench import common
from localcloud.bench import logs
from localcloud.bench import memory
from localcloud.bench import templates
from localcloud import config
from localcloud.qinling_local import instrumentation

say = common.say

# issue 22's goals for the direct path (the seed's), ms
MEDIAN_GOAL_MS = 80
P95_GOAL_MS = 150
FIRST_GOAL_MS = 200
# seconds between the warm-up events and the first measured one
WARM_UP_SETTLE_S = 1.0
# the event types of the first-event stack's chains, one per function
FIRST_EVENT = 'compute.instance.benchmark-first-%d.end'
DEFAULT_FIRST_EVENTS = 5
loadavg = common.loadavg


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
            raise common.BenchmarkError('cannot bind the event tap')

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


def run(cloud, workdir, count, results, first_count=DEFAULT_FIRST_EVENTS):
    """``_measure`` with qinling-api's and qinling-engine's timing lines on
    (``qinling_local.instrumentation``: the switch file, for this part
    only)."""
    switch = instrumentation.switch_file(cloud.service_dir('qinling'))
    with open(switch, 'w') as f:
        f.write('tools/benchmark %d\n' % os.getpid())
    say('latency: timing lines of qinling-api and qinling-engine on (%s)'
        % switch)
    try:
        _measure(cloud, workdir, count, results, first_count)
    finally:
        try:
            os.unlink(switch)
        except FileNotFoundError:
            pass
        say('latency: timing lines off')


def cpu_by_process(cloud):
    """{process name: CPU seconds of its tree} of the cloud's processes."""
    return {name: sum(memory.cpu_seconds(pid) for pid in tree)
            for _, name, tree in memory.trees(cloud)}


def cpu_per_event(before, after, events):
    """{process name: CPU ms per event}, most first."""
    per_event = {
        name: round(1000 * (after[name] - before[name]) / events, 1)
        for name in after if name in before}
    return dict(sorted(per_event.items(), key=lambda item: -item[1]))


# the two paths an event takes: through Ceilometer from the service-shaped
# notification, and the seed's direct event to Aodh
PATHS = ('ceilometer', 'direct')
STAGES = {
    'ceilometer': ('ceilometer', 'aodh', 'qinling_api', 'engine', 'worker'),
    'direct': ('aodh', 'qinling_api', 'engine', 'worker'),
}


def _first_functions(cloud, workdir, name, count):
    """Create a stack of ``count`` seed chains, each on an event type of its
    own (``FIRST_EVENT % i``); {event type: function ID}."""
    from localcloud import clients
    shutil.copytree(os.path.join(config.REPO_DIR, 'templates', 'functions'),
                    os.path.join(workdir, 'functions'), dirs_exist_ok=True)
    path = os.path.join(workdir, 'first-events.yaml')
    with open(path, 'w') as f:
        f.write(templates.chains(count, FIRST_EVENT))
    clients.run_cli(cloud, ['openstack', 'stack', 'create', '--wait', '-t',
                            path, name], echo=False)
    heat = clients.heat(cloud)
    ids = {r.resource_name: r.physical_resource_id
           for r in heat.resources.list(name)}
    return {FIRST_EVENT % i: ids['function%d' % i] for i in range(count)}


def _measure(cloud, workdir, count, results, first_count=0):
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
    path = common.SEED
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
            'event_type=%s' % common.BENCH_EVENT,
            name,
        ],
        echo=False,
    )
    tap = None
    first_name = None
    try:
        first_functions = {}
        if first_count:
            # more new functions than the seed's one: the first event is one
            # sample per function
            first_name = name + '-first'
            say('latency: creating stack %s (%d seed chains, an event type'
                ' each) ...' % (first_name, first_count))
            first_functions = _first_functions(cloud, workdir, first_name,
                                               first_count)
        heat = clients.heat(cloud)
        outputs = {
            o['output_key']: o['output_value']
            for o in heat.stacks.get(name).outputs
        }
        say('latency: stack created in %.1f s' % (time.monotonic() - started))
        function_id = outputs['function_id']
        alarms = matching_alarms(clients.aodh(cloud), common.BENCH_EVENT)
        if alarms != [outputs['alarm_id']]:
            raise common.BenchmarkError(
                'expected exactly one alarm on %s in the project '
                '(%s), found %s: each event would run the function %d times'
                % (common.BENCH_EVENT, outputs['alarm_id'], alarms,
                   len(alarms))
            )
        say(
            'latency: exactly one alarm fires on %s: %s'
            % (common.BENCH_EVENT, alarms[0])
        )
        qinling = clients.qinling(cloud)
        project_id = clients.project_id(cloud)
        time.sleep(clients.alarm_cache_ttl(cloud) + 0.5)
        timing = logs.TimingLog(cloud)
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
        # they also make aodh-listener reload the project's alarms (its cache
        # expired in the sleep above): a cost every event pays once per
        # event_alarm_cache_ttl, in the tail of the figures below, not a cost
        # of a new function; let it pass before the first event's clock
        time.sleep(WARM_UP_SETTLE_S)

        def one(path, i, event_type=common.BENCH_EVENT, function=None):
            """Publish one event by ``path``; its time and stages."""
            if path == 'ceilometer':
                # built before the clock starts: the publish is timed
                notification = events.build(event_type, project_id,
                                            name='bench-%d' % i)
                begin = time.time()
                publisher.send(notification)
                message_id = notification.message_id
            else:
                begin = time.time()
                message_id = publisher.send_event(
                    event_type, [('display_name', 'bench-%d' % i)],
                    project_id)['message_id']
            execution, engine = timing.wait_engine(function or function_id,
                                                   known)
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

        # the goal's path: the seed's event straight to Aodh; then the first
        # event of each function of the first-event stack
        firsts = []
        for event_type, function in [(common.BENCH_EVENT, function_id)] + \
                sorted(first_functions.items()):
            first, first_stages = one('direct', 0, event_type, function)
            firsts.append((first, first_stages))
            say('latency: first event of a new function (worker started at'
                ' create), direct -> success committed in %4.0f ms; stages'
                ' (ms): %s' % (1000 * first, ', '.join(
                    '%s %.1f' % (k, 1000 * v)
                    for k, v in sorted((first_stages or {}).items()))))
        cpu_before = cpu_by_process(cloud)
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
        cpu_after = cpu_by_process(cloud)
        publisher.close()
        found = clients.executions(qinling, function_id)
        statuses = sorted({e.status for e in found})
        if len(found) != 2 * count + 1 or statuses != ['success']:
            raise common.BenchmarkError(
                '%d events made %d executions with status(es) %s'
                % (2 * count + 1, len(found), statuses)
            )
    finally:
        if tap:
            tap.close()
        for stack in (name, first_name):
            if stack:
                clients.run_cli(
                    cloud,
                    ['openstack', 'stack', 'delete', '--yes', '--wait',
                     stack],
                    echo=False, check=False,
                )
    first_ms = sorted(round(1000 * t) for t, _ in firsts)
    figures = {'event_type': common.BENCH_EVENT,
               'first_ms': round(statistics.median(first_ms)),
               'first_max_ms': first_ms[-1], 'first_all_ms': first_ms,
               'first_path': 'direct',
               'first_stages_ms': _stage_figures(
                   [s for _, s in firsts if s], STAGES['direct']),
               'load': [load_before, load_after]}
    for path in PATHS:
        figures[path] = _percentiles(samples[path])
        figures[path]['stages'] = _stage_figures(stages[path], STAGES[path])
    figures['cpu_ms_per_event'] = cpu_per_event(
        cpu_before, cpu_after, len(PATHS) * count)
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
        ' path\'s; first event of a new function, %d function(s): median'
        ' %d ms, max %d ms'
        % (figures['ceilometer_minus_direct_median_ms'], len(first_ms),
           figures['first_ms'], figures['first_max_ms'])
    )
    say(
        'latency: load average %s before, %s after' % (load_before, load_after)
    )
    direct = figures['direct']
    say('latency: goals, direct path: median %s; p95 %s; first event of a'
        ' new function (median of the functions) %s' % (
            common.goal(direct['median_ms'], MEDIAN_GOAL_MS, 'ms'),
            common.goal(direct['p95_ms'], P95_GOAL_MS, 'ms'),
            common.goal(figures['first_ms'], FIRST_GOAL_MS, 'ms')))
    for path in PATHS:
        for k, v in figures[path]['stages'].items():
            say('latency: %-10s stage %-12s median %6.1f ms, %4.1f %% of the'
                ' time' % (path, k, v['median_ms'], 100 * v['share']))
    cpu = figures['cpu_ms_per_event']
    say('latency: CPU per event (both paths, user + system, the process and'
        ' its children; independent of the load, unlike the times above):'
        ' %.1f ms in all: %s' % (
            sum(cpu.values()), ', '.join(
                '%s %.1f' % (name, ms) for name, ms in cpu.items()
                if ms >= 0.5)))
    say(
        'latency: stages: ceilometer = publish of the notification ->'
        ' Ceilometer publishes the event (RabbitMQ, the agent\'s conversion'
        ' and pipeline); aodh = publish of the event -> qinling-api starts'
        ' the invoke (RabbitMQ, aodh-listener, aodh-notifier, HTTP, webhook'
        ' lookup); qinling_api = trust token, DB writes, RPC cast until the'
        ' engine takes it; engine = its DB reads and the final status commit;'
        ' worker = POST /execute round trip (fork + run)'
    )
