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

"""localcloud.bench: the stack timings read from heat-engine's log, and the
event tap's times.

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

from localcloud import bench
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
        self.engine = bench.EngineLog(self.cloud)
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
        stages = bench.stages(
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


if __name__ == '__main__':
    unittest.main()


class EventTapTest(unittest.TestCase):
    """When Ceilometer published an event.

    The UTC timestamp its notifier wrote in the message, on the machine's
    clock.
    """

    def test_reads_the_publish_time_of_each_event(self):
        tap = object.__new__(bench.EventTap)   # no broker needed to parse
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
        figures = bench._percentiles([i / 1000 for i in range(1, 101)])
        self.assertEqual({'events': 100, 'min_ms': 1, 'median_ms': 50,
                          'p95_ms': 95, 'max_ms': 100}, figures)
