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

"""The seed chain on the local cloud: Nova's notification that a server was
created becomes Ceilometer's event, which fires the alarm, the alarm POSTs to
the webhook, Qinling runs the function with the alarm payload; and nothing
else fires it."""
import time
import uuid

from localcloud import clients
from tests.e2e import base


class SeedChainTest(base.E2ETestCase):
    """templates/function-webhook-event-alarm.yaml with its defaults."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack('e2e-chain')
        out = self.outputs(self.stack)
        self.function_id, self.alarm_id = out['function_id'], out['alarm_id']
        self.webhook_url = out['webhook_url']
        self.wait_until_alarms_cached()

    def event_traits(self, execution):
        payload = base.decode(execution.input)
        return payload, {
            t[0]: t[2] for t in payload['reason_data']['event']['traits']
        }

    def test_event_runs_function_with_alarm_payload(self):
        server_id = str(uuid.uuid4())
        sent = self.emit(name='e2e-vm', instance_id=server_id)

        [execution] = self.wait_for_executions(self.function_id)
        self.assertSucceeded(execution, 'Hello, World')
        webhook_id = self.webhook_url.rstrip('/').split('/')[-2]
        # "Created by Webhook <id>"
        self.assertIn(webhook_id, execution.description)
        payload, traits = self.event_traits(execution)
        self.assertEqual(self.alarm_id, payload['alarm_id'])
        self.assertEqual('alarm', payload['current'])
        # Ceilometer's event keeps the notification's message_id
        self.assertEqual(
            sent.message_id, payload['reason_data']['event']['message_id']
        )
        self.assertEqual(self.project_id, traits['tenant_id'])
        self.assertEqual(self.project_id, traits['project_id'])
        self.assertEqual(server_id, traits['instance_id'])
        self.assertEqual('e2e-vm', traits['display_name'])
        self.assertEqual('compute', traits['service'])

        self.assertEqual('alarm', self.aodh.alarm.get(self.alarm_id)['state'])
        transitions = [h for h in self.aodh.alarm_history.get(self.alarm_id)
                       if h['type'] == 'state transition']
        self.assertEqual(1, len(transitions), transitions)
        # the history names the event Ceilometer made of the notification
        self.assertIn('Event <id=%s,event_type=compute.instance.create.end>'
                      % sent.message_id, transitions[0]['detail'])

    def test_no_firing_for_another_project_or_event_type(self):
        admin_project = clients.project_id(self.cloud, 'admin')
        self.assertNotEqual(self.project_id, admin_project)
        self.emit(name='other-project', project_id=admin_project)
        # .start, not .end: the seed's event type is no glob
        self.emit('compute.instance.create.start', name='other-type')
        # Positive control, sent last: once it has run the function, the path
        # works; ceilometer-agent-notification handles notifications in a
        # thread pool, not always in order, so the decoys get QUIET_PERIOD
        # more below.
        control = self.emit(name='control')

        [execution] = self.wait_for_executions(self.function_id)
        self.assertSucceeded(execution, 'Hello, World')
        payload, traits = self.event_traits(execution)
        self.assertEqual(
            control.message_id,
            payload['reason_data']['event']['message_id'],
        )
        self.assertEqual('control', traits['display_name'])

        # A few seconds more for anything late; still exactly the control's
        # execution.
        time.sleep(base.QUIET_PERIOD)
        executions = clients.executions(self.qinling, self.function_id)
        self.assertEqual([execution.id], [e.id for e in executions])
