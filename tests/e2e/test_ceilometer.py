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

"""ceilometer-agent-notification in the local cloud: the traits it makes of
each service's notification are the traits the shipped templates filter on,
with the types they compare them as; and a notification published while the
agent is down is not lost; and ``tools/localcloud emit-event`` as users run
it."""
import glob
import json
import os
import subprocess
import time
import uuid

import yaml

from localcloud import clients
from localcloud import events
from localcloud.services import ceilometer
from localcloud.services import common
from tests.e2e import base

ALARM_TYPES = ('OS::Aodh::EventAlarm', 'OS::Qinling::EventAlarm')
AGENT = 'ceilometer-agent-notification'
NOTIFICATIONS_WHILE_DOWN = 5


def _resolve(value, parameters):
    """A literal, or the default of the parameter a get_param names."""
    if isinstance(value, dict) and 'get_param' in value:
        return (parameters.get(value['get_param']) or {}).get('default')
    return value


def _conditions(query):
    """The literal conditions anywhere in a query (list_concat, if...)."""
    if isinstance(query, dict):
        if isinstance(query.get('field'), str):
            yield query
        else:
            for value in query.values():
                yield from _conditions(value)
    elif isinstance(query, list):
        for item in query:
            yield from _conditions(item)


def filtered_traits():
    """{event_type: {trait: type}} of every event alarm of every template.

    What each shipped template filters on, read from the templates.
    """
    found = {}
    for path in sorted(glob.glob(os.path.join(base.TEMPLATES, '**',
                                              '*.yaml'), recursive=True)):
        with open(path) as f:
            template = yaml.safe_load(f)
        parameters = template.get('parameters') or {}
        for resource in (template.get('resources') or {}).values():
            if resource.get('type') not in ALARM_TYPES:
                continue
            props = resource.get('properties') or {}
            event_type = _resolve(props.get('event_type'), parameters)
            traits = found.setdefault(event_type, {})
            for condition in _conditions(props.get('query')):
                if condition['field'].startswith('traits.'):
                    traits[condition['field'][len('traits.'):]] = (
                        condition.get('type') or 'string')
    return found


def event_of(execution):
    """The event an alarm's execution ran for (its POST's reason_data)."""
    return base.decode(execution.input)['reason_data']['event']


def probe_template(event_types):
    """One function and webhook, and an alarm on each event type."""
    resources = {
        'function': {'type': 'OS::Qinling::Function', 'properties': {
            'runtime': 'python3', 'entry': 'probe.main',
            'files': {'probe.py': 'def main(**kwargs):\n    return 1\n'}}},
        'webhook': {'type': 'OS::Qinling::Webhook',
                    'properties': {'function': {'get_resource': 'function'}}},
    }
    for i, event_type in enumerate(event_types):
        resources['alarm%d' % i] = {
            'type': 'OS::Aodh::EventAlarm', 'properties': {
                'event_type': event_type, 'repeat_actions': True,
                'alarm_actions': [{'get_attr': ['webhook', 'webhook_url']}]}}
    return {'heat_template_version': '2018-08-31', 'resources': resources,
            'outputs': {'function_id': {
                'value': {'get_resource': 'function'}}}}


class TraitTypesTest(base.E2ETestCase):
    """The traits the templates filter on, in Ceilometer's events.

    Each exists, with the type the template compares it as, in the event
    Ceilometer makes of the real service's notification.
    """

    def test_filtered_traits_exist_with_their_types(self):
        wanted = filtered_traits()
        # the catalog filters on these at least: the walk found them
        self.assertEqual('integer',
                         wanted['volume.create.end'].get('size'), wanted)
        self.assertIn('display_name', wanted['compute.instance.create.end'])
        types = sorted(wanted)
        name = self.unique_name('e2e-traits')
        created = self.heat.stacks.create(
            stack_name=name, template=probe_template(types),
            disable_rollback=True)
        self.addCleanup(self.delete_stack, created['stack']['id'])
        stack = self.wait_stack(created['stack']['id'], 'CREATE_COMPLETE')
        function_id = self.outputs(stack)['function_id']
        alarms = {r.physical_resource_id: r.resource_name
                  for r in self.heat.resources.list(stack.id)
                  if r.resource_type == 'OS::Aodh::EventAlarm'}
        self.wait_until_alarms_cached()

        sent = {self.emit(event_type).message_id: event_type
                for event_type in types}
        # other tests' notifications of these types may run the function
        # too: only this test's count
        executions = clients.wait_for(
            lambda: clients.finished_executions(
                self.qinling, function_id, len(sent),
                keep=lambda e: event_of(e)['message_id'] in sent),
            base.EXECUTION_TIMEOUT,
            'an execution of function %s for each of %s'
            % (function_id, ', '.join(sent)))
        seen = {}
        for execution in executions:
            event = event_of(execution)
            seen[event['message_id']] = events.traits_of(event)
        self.assertEqual(sorted(sent), sorted(seen))

        # Aodh's history of each alarm names the event it fired for
        history = {}
        for alarm_id in alarms:
            for entry in self.aodh.alarm_history.get(alarm_id):
                history.setdefault(alarm_id, []).append(entry['detail'])
        for message_id in sent:
            self.assertTrue(any(message_id in detail
                                for details in history.values()
                                for detail in details), message_id)

        problems = []
        for message_id, event_type in sorted(sent.items()):
            traits = seen[message_id]
            for trait, kind in sorted(wanted[event_type].items()):
                if trait not in traits:
                    problems.append('%s has no trait %s (it has %s)' % (
                        event_type, trait, ', '.join(sorted(traits))))
                elif traits[trait][0] != events.TRAIT_TYPES[kind]:
                    problems.append('%s: trait %s is of type %d, the '
                                    'template compares it as %s' % (
                                        event_type, trait, traits[trait][0],
                                        kind))
            # every event carries the project Aodh matches alarms on
            self.assertIn(self.project_id,
                          [traits.get(t, (0, None))[1]
                           for t in ('tenant_id', 'project_id')], event_type)
        self.assertEqual([], problems)


class DisruptiveAgentRestartTest(base.E2ETestCase):
    """DISRUPTIVE: kills the shared ceilometer-agent-notification.

    Runs alone: SIGKILL of its recorded process group, then ``up``
    restarts it; other tests that send notifications meanwhile would wait
    with it.
    """

    def test_notifications_published_while_down_are_not_lost(self):
        self.keep_cloud_up()
        event_type = 'compute.instance.e2e-restart-%s.end' % (
            uuid.uuid4().hex[:8])
        stack = self.create_stack('e2e-agent-down',
                                  parameters={'event_type': event_type})
        function_id = self.outputs(stack)['function_id']
        self.wait_until_alarms_cached()

        self.kill_process(AGENT)
        sent = [self.emit(event_type, name='while-down-%d' % n).message_id
                for n in range(NOTIFICATIONS_WHILE_DOWN)]
        # nobody consumes the agent's queue, where they wait; nothing ran
        # them
        self.assertEqual(0, common.queue_consumers(
            self.cloud, ceilometer.NOTIFICATION_QUEUES[0]))
        time.sleep(base.QUIET_PERIOD)
        self.assertEqual([], clients.executions(self.qinling, function_id))

        self.start_missing()   # tools/localcloud up
        self.assertIsNotNone(self.cloud.supervisor.running(AGENT))
        found = self.wait_for_executions(function_id, len(sent))
        time.sleep(base.QUIET_PERIOD)
        found = clients.executions(self.qinling, function_id)
        ran_for = sorted(base.decode(e.input)['reason_data']['event'][
            'message_id'] for e in found)
        self.assertEqual(sorted(sent), ran_for)


class EmitEventCommandTest(base.E2ETestCase):
    """``tools/localcloud emit-event`` as a user runs it."""

    def account_owner(self):
        # as the demo user: emit-event sends for the demo project by default
        return None

    def localcloud(self, *argv):
        env = dict(os.environ, LOCALCLOUD_STATE_DIR=self.cloud.state_dir,
                   LOCALCLOUD_BASE_PORT=str(self.cloud.base_port))
        return subprocess.run(
            [os.path.join(base.REPO, 'tools', 'localcloud')] + list(argv),
            env=env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=120)

    def test_notification_and_direct_event_run_the_function(self):
        event_type = 'compute.instance.e2e-cli-%s.end' % uuid.uuid4().hex[:8]
        stack = self.create_stack('e2e-emit-cli',
                                  parameters={'event_type': event_type})
        function_id = self.outputs(stack)['function_id']
        self.wait_until_alarms_cached()

        sent = self.localcloud('emit-event', event_type, '--name', 'cli-vm',
                               '--flavor', 'm1.tiny', '--show')
        self.assertEqual(0, sent.returncode, sent.stderr)
        message_id, shown = sent.stdout.split('\n', 1)
        shown = json.loads(shown)
        self.assertEqual(('nova', 'nova', 'cli-vm'),
                         (shown['service'], shown['exchange'],
                          shown['payload']['display_name']))
        direct = self.localcloud('emit-event', event_type, '--direct',
                                 '--trait', 'display_name=cli-direct',
                                 '--trait', 'vcpus:integer=3')
        self.assertEqual(0, direct.returncode, direct.stderr)

        executions = self.wait_for_executions(function_id, 2)
        seen = {}
        for execution in executions:
            event = base.decode(execution.input)['reason_data']['event']
            seen[event['message_id']] = events.traits_of(event)
        self.assertEqual(sorted([message_id, direct.stdout.strip()]),
                         sorted(seen))
        # through Ceilometer: the traits of Nova's event
        self.assertEqual((1, 'm1.tiny'), seen[message_id]['instance_type'])
        self.assertEqual((2, 512), seen[message_id]['memory_mb'])
        # direct: the traits given, typed as given
        self.assertEqual((2, 3), seen[direct.stdout.strip()]['vcpus'])

    def test_options_a_service_does_not_send_are_refused(self):
        for argv, message in (
                (['compute.instance.create.end', '--size', '3'],
                 'nova notifications (compute.instance.create.end) take '
                 'name, flavor'),
                (['image.upload', '--trait', 'a=b'],
                 '--trait goes with --direct'),
                (['x.y', '--direct', '--name', 'n'],
                 '--direct sends traits (--trait), not notification '
                 'fields (name)'),
                (['x.y', '--direct', '--trait', 'a:boolean=true'],
                 'TYPE one of string, integer, float, datetime')):
            done = self.localcloud('emit-event', *argv)
            self.assertEqual(1, done.returncode, argv)
            self.assertIn(message, done.stderr)
