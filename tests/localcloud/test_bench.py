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

"""localcloud.bench (tools/benchmark): the stack timings read from
heat-engine's log, the timing lines, the event tap's times, the first-run
parts' clouds and caches, the command line and its table of goals.

The benchmark times a stack from its request to the line in which
heat-engine logged it complete, and splits that time into stages. These
tests feed it lines as heat-engine 27 writes them (two engine workers, other
stacks' lines in between) and check what it reads.

Standard library only: ``python -m unittest tests.localcloud.test_bench``.
"""
import datetime
import json
import os
import tempfile
import unittest
from unittest import mock

from localcloud.bench import cli
from localcloud.bench import common
from localcloud.bench import firstrun
from localcloud.bench import latency
from localcloud.bench import logs
from localcloud.bench import memory
from localcloud.bench import templates
from localcloud import config

CTX = ('[None req-519d3989-011f-4aca-ad8c-244f59d5560c '
       'c58f240e8d5f4bf6a12ea6f7f86feb8c 8f1ad4dea7af48b2a58ee865645fd027 - - '
       'default default]')
STACK_ID = '[c70e2631-664b-4e0c-87c0-87a78901bfe1]'

BEFORE = [
    # an earlier stack of a name that starts the same
    '2026-11-26 09:55:00.100 22369 INFO heat.engine.stack %s Stack CREATE '
    'COMPLETE (bench-chains-1-42x): Stack CREATE completed successfully'
    % CTX,
]
CREATE = [
    '2026-11-26 09:55:10.208 22369 INFO heat.engine.service %s Creating '
    'stack bench-chains-1-42' % CTX,
    '2026-11-26 09:55:10.216 22369 INFO heat.engine.resource %s Validating '
    'QinlingFunction "function0"' % CTX,
    '2026-11-26 09:55:10.487 22369 INFO heat.engine.worker %s Triggering '
    'resource 441 for update' % CTX,
    '2026-11-26 09:55:10.496 22369 INFO heat.engine.resource %s creating '
    'QinlingFunction "function0" Stack "bench-chains-1-42" %s'
    % (CTX, STACK_ID),
    # another stack's resource, on the other worker
    '2026-11-26 09:55:10.500 22367 INFO heat.engine.resource %s creating '
    'RandomString "first0" Stack "bench-random-1-42" %s' % (CTX, STACK_ID),
    '2026-11-26 09:55:10.648 22367 INFO heat.engine.resource %s creating '
    'QinlingWebhook "webhook0" Stack "bench-chains-1-42" %s'
    % (CTX, STACK_ID),
    '2026-11-26 09:55:10.713 22369 INFO heat.engine.resource %s creating '
    'EventAlarm "alarm0" Stack "bench-chains-1-42" %s' % (CTX, STACK_ID),
    '2026-11-26 09:55:10.761 22369 INFO heat.engine.stack %s '
    '[bench-chains-1-42(c70e2631-664b-4e0c-87c0-87a78901bfe1)] update '
    'traversal 0ee67b68-b0ff-407f-9e1f-083feac2d6a5 complete' % CTX,
    '2026-11-26 09:55:10.762 22369 INFO heat.engine.stack %s Stack CREATE '
    'COMPLETE (bench-chains-1-42): Stack CREATE completed successfully'
    % CTX,
]
DELETE = [
    '2026-11-26 09:55:12.000 22367 INFO heat.engine.service %s Deleting '
    'stack bench-chains-1-42' % CTX,
    '2026-11-26 09:55:12.040 22367 INFO heat.engine.resource %s deleting '
    'EventAlarm "alarm0" [b1e4] Stack "bench-chains-1-42" %s'
    % (CTX, STACK_ID),
    '2026-11-26 09:55:12.047 22367 INFO heat.engine.resource %s delete '
    'EventAlarm "alarm0" [b1e4] Stack "bench-chains-1-42" %s attempt 1'
    % (CTX, STACK_ID),
    '2026-11-26 09:55:12.300 22367 INFO heat.engine.stack %s Stack DELETE '
    'FAILED (bench-chains-1-42): Resource DELETE failed: Error' % CTX,
]


def when(stamp):
    return datetime.datetime.strptime(
        stamp, '%Y-%m-%d %H:%M:%S.%f').timestamp()


class EngineLogTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.cloud = config.Cloud(state_dir=tmp.name, base_port=17000)
        os.makedirs(os.path.dirname(self.cloud.log_path('heat-engine')),
                    exist_ok=True)
        self.engine = logs.EngineLog(self.cloud)
        self.write([])  # heat-engine has started: its log exists

    def write(self, lines):
        with open(self.cloud.log_path('heat-engine'), 'a') as f:
            f.write(''.join(line + '\n' for line in lines))

    def test_a_create_reads_the_stack_its_resources_and_its_end(self):
        self.write(BEFORE)
        self.engine.mark()
        self.write(CREATE)
        steps = self.engine.timeline('bench-chains-1-42', 'CREATE')
        self.assertEqual(
            [(when('2026-11-26 09:55:10.208'), 'engine'),
             (when('2026-11-26 09:55:10.496'), 'function0'),
             (when('2026-11-26 09:55:10.648'), 'webhook0'),
             (when('2026-11-26 09:55:10.713'), 'alarm0'),
             (when('2026-11-26 09:55:10.762'), 'done')],
            steps)

    def test_stages_split_the_time_from_the_request_to_the_end(self):
        self.engine.mark()
        self.write(CREATE)
        requested = when('2026-11-26 09:55:10.200')
        stages = logs.stages(
            requested, self.engine.timeline('bench-chains-1-42', 'CREATE'))
        self.assertEqual(
            ['api', 'stack', 'function0', 'webhook0', 'alarm0'],
            [name for name, _ in stages])
        self.assertEqual([0.008, 0.288, 0.152, 0.065, 0.049],
                         [seconds for _, seconds in stages])
        # the stages add up to the time the benchmark reports
        self.assertAlmostEqual(0.562, sum(s for _, s in stages), places=3)

    def test_what_came_before_the_mark_is_not_read(self):
        self.write(CREATE)
        self.engine.mark()
        self.write(DELETE)
        self.assertEqual(
            [], self.engine.timeline('bench-chains-1-42', 'CREATE'))

    def test_a_failed_delete_ends_too(self):
        self.engine.mark()
        self.write(DELETE)
        steps = self.engine.timeline('bench-chains-1-42', 'DELETE')
        self.assertEqual(['engine', 'alarm0', 'done'],
                         [step for _, step in steps])
        self.assertEqual(when('2026-11-26 09:55:12.300'), steps[-1][0])

    def test_a_stack_of_a_longer_name_is_not_taken(self):
        self.engine.mark()
        self.write(BEFORE)
        self.assertEqual(
            [], self.engine.timeline('bench-chains-1-42', 'CREATE'))


class EventTapTest(unittest.TestCase):
    """When Ceilometer published an event.

    The UTC timestamp its notifier wrote in the message, on the machine's
    clock.
    """

    def test_reads_the_publish_time_of_each_event(self):
        tap = object.__new__(latency.EventTap)   # no broker needed to parse
        tap.published = {}
        acked = []

        class Message(object):
            def ack(self):
                acked.append(True)

        envelope = {'message_id': 'n1',
                    'publisher_id': 'telemetry.publisher.h',
                    'event_type': 'event', 'priority': 'SAMPLE',
                    'timestamp': '2026-12-07 03:43:46.032645',
                    'payload': [{'message_id': 'e1'}, {'message_id': 'e2'}]}
        tap._record({'oslo.version': '2.0',
                     'oslo.message': json.dumps(envelope)}, Message())
        when = datetime.datetime(2026, 12, 7, 3, 43, 46, 32645,
                                 tzinfo=datetime.timezone.utc).timestamp()
        self.assertEqual({'e1': when, 'e2': when}, tap.published)
        self.assertEqual([True], acked)


class PercentilesTest(unittest.TestCase):

    def test_nearest_rank(self):
        figures = latency._percentiles([i / 1000 for i in range(1, 101)])
        self.assertEqual({'events': 100, 'min_ms': 1, 'median_ms': 50,
                          'p95_ms': 95, 'max_ms': 100}, figures)


class TimingLogTest(unittest.TestCase):
    """The ``localcloud-timing`` lines of qinling-api and qinling-engine."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.cloud = config.Cloud(state_dir=tmp.name, base_port=17000)
        for name in ('qinling-api', 'qinling-engine'):
            path = self.cloud.log_path(name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write('2026-12-07 10:00:00.000 1 INFO x [-] '
                        'localcloud-timing engine execution=old function=f '
                        'received=1 worker_sent=2 worker_done=3 '
                        'committed=4\n')

    def append(self, name, line):
        with open(self.cloud.log_path(name), 'a') as f:
            f.write(line)

    def test_reads_what_came_after_it_was_made_whole_lines_only(self):
        timing = logs.TimingLog(self.cloud)
        self.append('qinling-api', 'localcloud-timing webhook-invoke '
                    'execution=e1 function=f received=1.5 cast=1.6\n')
        self.append('qinling-engine', 'localcloud-timing engine '
                    'execution=e1 function=f received=1.7 worker_sent=1.8 '
                    'worker_done=1.9 committed=2.0\nlocalcloud-timing en')
        execution, values = timing.wait_engine('f', known=set(), timeout=1)
        self.assertEqual('e1', execution)
        self.assertEqual('2.0', values['committed'])
        self.assertEqual({'e1'}, set(timing.seen['webhook-invoke']))
        self.assertNotIn('old', timing.seen['engine'])

    def test_no_execution_in_time_is_an_error(self):
        timing = logs.TimingLog(self.cloud)
        self.assertRaises(common.BenchmarkError, timing.wait_engine, 'f',
                          {'old'}, 0.05)


class CpuPerEventTest(unittest.TestCase):

    def test_per_event_most_first_of_the_processes_seen_twice(self):
        self.assertEqual(
            [('qinling-api', 4.0), ('aodh-listener', 1.5)],
            list(latency.cpu_per_event(
                {'aodh-listener': 1.0, 'qinling-api': 2.0, 'gone': 1.0},
                {'aodh-listener': 1.15, 'qinling-api': 2.4, 'new': 9.0},
                100).items()))

    def test_reads_the_cpu_time_of_a_process(self):
        sum(i * i for i in range(300000))
        self.assertGreater(memory.cpu_seconds(os.getpid()), 0)
        self.assertEqual(0.0, memory.cpu_seconds(2 ** 22 + 1))


class TemplatesTest(unittest.TestCase):

    def test_chains_are_three_dependent_resources_each(self):
        text = templates.chains(2, 'x.y', 'v2')
        self.assertEqual(2, text.count('OS::Qinling::Function'))
        self.assertEqual(2, text.count('OS::Aodh::EventAlarm'))
        self.assertIn('{get_resource: function1}', text)
        self.assertIn('[{get_attr: [webhook1, webhook_url]}]', text)
        self.assertEqual(4, text.count('description: v2'))

    def test_an_event_type_per_chain(self):
        text = templates.chains(2, 'x.%d.end')
        self.assertIn('event_type: x.0.end', text)
        self.assertIn('event_type: x.1.end', text)

    def test_random_chains_have_the_same_shape(self):
        text = templates.random_chains(3)
        self.assertEqual(9, text.count('OS::Heat::RandomString'))
        self.assertIn('{salt: {get_attr: [second2, value]}}', text)


class FirstRunTest(unittest.TestCase):
    """The first-run parts' throwaway clouds, caches and step lines."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.cloud = config.Cloud(state_dir=tmp.name, base_port=24000)

    def test_the_cold_caches_are_empty_and_its_own(self):
        first = firstrun.FirstRun(self.cloud, os.path.join(self.tmp, 'log'))
        self.assertEqual({}, first.cache_env())   # the user's caches
        os.makedirs(os.path.join(self.tmp, 'first-run', 'cache', 'uv'))
        env = first.fresh_cache()
        self.assertEqual([], os.listdir(os.path.join(self.tmp, 'first-run',
                                                     'cache')))
        self.assertEqual({'UV_CACHE_DIR', 'PIP_CACHE_DIR', 'XDG_CACHE_HOME'},
                         set(env))
        for value in env.values():
            self.assertTrue(value.startswith(self.tmp + '/first-run/cache'))
        # the warm demo reuses them
        self.assertEqual(env, first.cache_env())

    def test_its_clouds_sit_apart_from_the_measured_one(self):
        first = firstrun.FirstRun(self.cloud, os.path.join(self.tmp, 'log'))
        cloud = first.cloud('cold')
        self.assertEqual(24100, cloud.base_port)
        self.assertEqual(os.path.join(self.tmp, 'first-run', 'cold'),
                         cloud.state_dir)

    def test_the_slowest_steps_after_the_mark(self):
        log = os.path.join(self.tmp, 'log')
        with open(log, 'w') as f:
            f.write('localcloud: old step: done in 99.0 s\n')
            since = f.tell()
            f.write('localcloud: qinling: creating the venv /x: done in'
                    ' 21.2 s\nlocalcloud: venv created in 5 s\n'
                    'localcloud: keystone: db_sync done in 3.5 s\n')
        self.assertEqual(
            [('qinling: creating the venv /x', 21.2),
             ('keystone: db_sync', 3.5)],
            firstrun.slowest_steps(log, since))


class CommandLineTest(unittest.TestCase):

    def test_the_options_of_before_still_parse(self):
        args = cli.parse_args(['--state-dir', '/x', '--base-port', '19500',
                               '--only', 'stacks,latency', '--sizes', '1,10',
                               '--events', '5', '--keep', '--results', 'r'])
        self.assertEqual(['stacks', 'latency'], args.parts)
        self.assertEqual([1, 10], args.sizes)
        self.assertEqual((5, 19500, '/x', True), (args.events, args.base_port,
                                                  args.state_dir, args.keep))
        self.assertEqual(latency.DEFAULT_FIRST_EVENTS, args.first_events)

    def test_an_unknown_part_is_refused(self):
        with mock.patch('sys.stderr'):
            self.assertRaises(SystemExit, cli.parse_args, ['--only', 'nope'])

    def test_a_failed_part_is_exit_code_1(self):
        with mock.patch.object(cli, 'run',
                               side_effect=common.BenchmarkError('boom')), \
                mock.patch('sys.stdout'):
            self.assertEqual(1, cli.main(['--only', 'memory']))

    def test_each_figure_next_to_its_goal(self):
        rows = cli.goals_table({
            'cold_demo_s': 151.0, 'warm_demo_s': 60.2,
            'latency': {'first_ms': 150, 'direct': {'median_ms': 70,
                                                    'p95_ms': 90}}})
        self.assertEqual(
            [('cold demo (fresh state dir, empty caches)', 151.0, 150, 's',
              False),
             ('warm demo (second state dir, warm caches)', 60.2, 90, 's',
              True),
             ('latency, direct path, median', 70, 80, 'ms', True),
             ('latency, direct path, p95', 90, 150, 'ms', True),
             ('latency, first event of a new function', 150, 200, 'ms',
              True)],
            rows)


if __name__ == '__main__':
    unittest.main()
