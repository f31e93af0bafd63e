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

"""Every template of tests/catalog_cases.py through the ``openstack`` CLI on
the local cloud: each event starts as the notification the real service sends
(Nova, Cinder, Glance, Neutron), which ceilometer-agent-notification turns
into the event Aodh sees. Each matching event runs the function, every time
(each is sent twice), and the non-matching ones (other type, other trait
value, other project) run nothing.

One test per case (generated from the table), so a failing template does not
hide the others. Each test shares one stack between its assertions: the
non-matching notifications are sent first, then the matching ones twice; once
the matching events' executions are there, a quiet period gives a
non-matching event that would fire (Ceilometer does not always keep the
order) the time to run the function too.
"""
import io
import os
import time

from heat_qinling import package
from localcloud import clients
from tests import catalog_cases
from tests.e2e import base


class CatalogBase(base.E2ETestCase):
    """Helpers: a function outside any stack, a CLI-made stack, events."""

    def make_function(self):
        """A function outside any stack, as a user has one already."""
        [runtime] = [r for r in self.qinling.runtimes.list()
                     if r.name == 'python3']
        function = self.qinling.functions.create(
            code={'source': 'package'}, runtime=runtime.id,
            name=self.unique_name('e2e-existing'),
            entry=catalog_cases.FUNCTION_ENTRY,
            package=io.BytesIO(package.build_zip(
                catalog_cases.FUNCTION_FILES)))
        self.addCleanup(self.delete_function, function.id)
        return function

    def delete_function(self, function_id):
        from qinlingclient.common import exceptions as qinling_exc
        try:
            self.qinling.functions.delete(function_id)
        except qinling_exc.HTTPException as exc:
            if getattr(exc, 'code', None) != 404:
                raise

    def cli_create(self, case, parameters):
        """``openstack stack create`` as a user types it; the stack."""
        name = self.unique_name('e2e-%s' % case.name)
        argv = ['openstack', 'stack', 'create', '--wait', '-f', 'json',
                '-t', os.path.join(base.REPO, case.template)]
        if case.environment:
            argv += ['-e', os.path.join(base.REPO, case.environment)]
        for key, value in sorted(parameters.items()):
            argv += ['--parameter', '%s=%s' % (key, value)]
        try:
            clients.run_cli(self.cloud, argv + [name], echo=False)
        finally:
            stack = self.heat.stacks.get(name) if self.exists(name) else None
            if stack is not None:
                self.addCleanup(self.delete_stack, stack.id)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        return stack

    def exists(self, name):
        return any(s.stack_name == name for s in self.heat.stacks.list(
            filters={'name': name}))

    def project(self, which):
        if which == catalog_cases.OTHER:
            return clients.project_id(self.cloud, 'admin')
        return self.project_id

    def send(self, event):
        return self.emit(event.event_type,
                         project_id=self.project(event.project),
                         **event.fields)

    def run_case(self, case):
        parameters = dict(case.parameters)
        existing = None
        if case.function_parameter:
            existing = self.make_function()
            parameters[case.function_parameter] = existing.name
        stack = self.cli_create(case, parameters)
        outputs = self.outputs(stack)
        for name in case.outputs:
            self.assertTrue(outputs.get(name),
                            '%s: output %s' % (case.name, name))
        for name in case.outputs:
            if name.endswith('alarm_id'):
                # get_resource on a trigger (its OS::stack_id) is the alarm
                self.assertEqual(outputs[name], self.aodh.alarm.get(
                    outputs[name])['alarm_id'])
        function_id = outputs['function_id']
        if existing:
            self.assertEqual(existing.id, function_id)
        self.wait_until_alarms_cached()

        for why, event in case.ignored:
            self.send(event)
        fired = {}
        for event in case.fires:
            for _ in range(2):
                fired[self.send(event).message_id] = event
        executions = self.wait_for_executions(function_id, len(fired))
        time.sleep(base.QUIET_PERIOD)  # for anything late
        executions = clients.executions(self.qinling, function_id)
        ran_for = {}
        for execution in executions:
            payload = base.decode(execution.input)
            ran_for[payload['reason_data']['event']['message_id']] = execution
        self.assertEqual(sorted(fired), sorted(ran_for),
                         '%s: the events that ran the function' % case.name)
        for message_id, event in fired.items():
            self.assertSucceeded(ran_for[message_id],
                                 catalog_cases.expected_output(case, event))

        if existing:
            # the trigger goes with its stack; the function stays
            webhook_id = outputs['webhook_url'].rstrip('/').split('/')[-2]
            self.delete_stack(stack.id)
            self.assertEqual(existing.id,
                             self.qinling.functions.get(existing.id).id)
            self.assertNotIn(webhook_id,
                             [w.id for w in self.qinling.webhooks.list()])
            self.assertNotIn(outputs['alarm_id'],
                             [a['alarm_id'] for a in self.aodh.alarm.list()])


class CatalogCLITest(CatalogBase):
    """One test per case of tests/catalog_cases.py (added below)."""


def _add_case_tests():
    for case in catalog_cases.CASES:
        def test(self, case=case):
            self.run_case(case)
        name = 'test_%s' % case.name.replace('-', '_')
        test.__name__ = name
        test.__doc__ = '%s: its events run the function, others do not.' % (
            case.template)
        setattr(CatalogCLITest, name, test)


_add_case_tests()
