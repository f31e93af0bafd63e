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

"""Launch Stack from Horizon for EVERY template in templates/ (found by
listing the folder; all but the seed's get_file twin): upload the file, fill
only what has no default (an existing function's name), launch, see the
outputs, run the function (an event of the template's defaults, or its
schedule), delete the stack from the UI and find nothing left behind. One
scenario per template, so one failing template does not hide the others.
The events that must NOT fire, firing twice and other parameter values are
the CLI end-to-end tests' job (tests/e2e/test_catalog.py)."""
import io
import os
import time

from heatclient.common import template_format
import testscenarios

from heat_qinling import package
from localcloud import clients
from tests.browser import base
from tests import catalog_cases as cases

load_tests = testscenarios.load_tests_apply_scenarios

SEED = base.e2e.SEED_TEMPLATE
# bad values in the seed's form, and what the user must be told
BAD_TIMEOUT = '999'
TIMEOUT_MAX = '300'
BAD_EVENT_TYPE = 'compute instance!'
BAD_EVENT_MESSAGE = 'The event type is dotted words'  # its constraint's text

# How to run the function of a template that no catalog case covers: the
# events of its defaults and the output they give, or SCHEDULED (it runs
# on its own, every minute by default, and reports its job in job_id).
SCHEDULED = 'scheduled'
NOT_IN_CATALOG = {
    'templates/examples/blue-green.yaml': (
        [cases.Event('default', {}, cases.OWN)], 'Hello, World'),
    'templates/triggers/schedule.yaml': (SCHEDULED, 'Ran for None'),
}
# The parameter through which a template takes an existing function.
FUNCTION_PARAMETER = 'function'


def event_of(execution):
    """The message ID of the event an alarm's execution ran for."""
    payload = base.e2e.decode(execution.input)
    if not isinstance(payload, dict):
        return None
    return payload.get('reason_data', {}).get('event', {}).get('message_id')


def read_template(path):
    with open(os.path.join(base.e2e.REPO, path)) as f:
        return template_format.parse(f.read())


class LaunchStackTest(base.BrowserTestCase):

    scenarios = [(path[len('templates/'):-len('.yaml')], {'path': path})
                 for path in cases.launchable_templates(base.e2e.REPO)]

    def existing_function(self):
        """A function for a trigger that takes one; its name, as typed."""
        name = self.unique_name('browser-fn')
        [runtime] = [r for r in self.qinling.runtimes.list()
                     if r.name == 'python3']
        function = self.qinling.functions.create(
            name=name, runtime=runtime.id, code={'source': 'package'},
            entry=cases.FUNCTION_ENTRY,
            package=io.BytesIO(package.build_zip(cases.FUNCTION_FILES)))
        self.addCleanup(self.qinling.functions.delete, function.id)
        return name

    def project_of(self, event):
        if event.project == cases.OWN:
            return self.project_id
        return clients.project_id(self.cloud, 'admin')

    def recipe(self):
        """The events to send (or SCHEDULED), and the output for one."""
        [case] = [c for c in cases.CASES if c.template == self.path] or [None]
        if case is None:
            self.assertIn(self.path, NOT_IN_CATALOG,
                          'How does %s run its function with its defaults? '
                          'Add it to NOT_IN_CATALOG.' % self.path)
            fires, output = NOT_IN_CATALOG[self.path]
            return fires, lambda event: output
        return case.fires, lambda event: cases.expected_output(case, event)

    def default_event_type(self, template):
        return template['parameters']['event_type']['default']

    def executions_for(self, function_id, message_ids):
        """The function's executions for these events (message IDs).

        Once there is one for each event and none of them is running.

        Other tests of this class run at the same time in the same project,
        and triggers of the catalog watch the same event types (two-triggers
        and volume-created both watch volume.create.end): the function may
        also run for their events, which are not this test's to count.
        """
        return clients.wait_for(
            lambda: clients.finished_executions(
                self.qinling, function_id, len(message_ids),
                keep=lambda e: event_of(e) in message_ids),
            base.e2e.EXECUTION_TIMEOUT,
            'an execution of function %s for each of the events %s'
            % (function_id, ', '.join(message_ids)))

    def events(self, template, fires):
        """The events to send for the template with its defaults."""
        events = []
        for event in fires:
            if event.event_type == 'default' or (
                    'event_type' in template.get('parameters', {})):
                # The template's own default, whatever the catalog case
                # changes it to. The case's fields belong to its own type
                # (a volume's size is no field of a server): another type
                # is sent with the fields its service always fills.
                default = self.default_event_type(template)
                if default != event.event_type:
                    event = event._replace(event_type=default, fields={})
            events.append(event)
        return events

    def fire(self, events, outputs):
        """Send the events; their executions, one for each."""
        self.wait_until_alarms_cached()
        emitted = [self.emit(event.event_type, self.project_of(event),
                             **event.fields).message_id
                   for event in events]
        executions = self.executions_for(outputs['function_id'], emitted)
        self.assertEqual(sorted(emitted),
                         sorted(event_of(e) for e in executions))
        return executions

    def wait_for_run(self, outputs):
        """The first finished run of the stack's job."""
        job = 'Created by Job %s' % outputs['job_id']
        return clients.wait_for(
            lambda: clients.finished_executions(
                self.qinling, outputs['function_id'], 1,
                keep=lambda e: e.description == job),
            base.e2e.EXECUTION_TIMEOUT + 60,
            'a run of job %s' % outputs['job_id'])[:1]

    def test_launch_fire_delete(self):
        template = read_template(self.path)
        parameters = {}
        for name, schema in template.get('parameters', {}).items():
            if 'default' in schema:
                continue
            self.assertEqual(FUNCTION_PARAMETER, name,
                             '%s: what to type for %s, which has no '
                             'default?' % (self.path, name))
            parameters[name] = self.existing_function()
        stack_name = self.unique_name(
            'browser-%s' % os.path.basename(self.path)[:-len('.yaml')])

        self.launch_stack(os.path.join(base.e2e.REPO, self.path),
                          stack_name, parameters)
        stack = self.wait_stack_launched(stack_name)
        outputs = self.outputs(stack)
        for name, value in parameters.items():
            self.assertEqual(value, stack.parameters[name])

        self.open_stack(stack)
        shown = self.page_text()
        # An output may change by itself between Heat's answer above and
        # the page (a schedule's next_execution_time, when a run starts in
        # between): the page shows the value of one of two reads around it.
        later = self.outputs(self.heat.stacks.get(stack.id))
        for key in template.get('outputs', {}):
            if key == 'OS::stack_id':
                continue
            self.assertIn(key, shown)
            if isinstance(outputs[key], str):
                self.assertTrue(
                    outputs[key] in shown or later[key] in shown,
                    '%s: neither %r nor, read after the page, %r is shown in '
                    '%r' % (key, outputs[key], later[key], shown))

        fires, output = self.recipe()
        if fires == SCHEDULED:
            executions = self.wait_for_run(outputs)
            expected = [output(None)]
        else:
            events = self.events(template, fires)
            executions = self.fire(events, outputs)
            expected = [output(event) for event in events]
        results = [base.e2e.decode(e.result) or {} for e in executions]
        self.assertEqual(['success'] * len(executions),
                         [e.status for e in executions], results)
        self.assertEqual(sorted(expected),
                         sorted(r.get('output') for r in results))

        created = self.stack_physical_ids(stack)
        if fires != SCHEDULED:
            self.assertTrue(created.get('OS::Aodh::EventAlarm')
                            or created.get('OS::Qinling::EventAlarm'),
                            created)
        self.delete_stack_in_ui(stack)
        self.assertEqual([], self.leftovers(created))


class BadValueTest(base.BrowserTestCase):
    """A value the template forbids is refused with a message the user sees.

    Nothing is made.
    """

    def made_for(self, stack_name):
        """The stack, and the functions or alarms named after it, if any.

        Heat names what it creates <stack>-<resource>-<suffix>; a webhook
        needs a function. Other tests may run meanwhile: only this name
        counts.
        """
        made = ['stack'] if self.find_stack(stack_name) else []
        made += ['function %s' % f.name for f in self.qinling.functions.list()
                 if (f.name or '').startswith(stack_name)]
        made += ['alarm %s' % a['name'] for a in self.aodh.alarm.list()
                 if a['name'].startswith(stack_name)]
        return made

    def test_timeout_999(self):
        stack_name = self.unique_name('browser-bad')
        self.launch_stack(SEED, stack_name, {'function_timeout': BAD_TIMEOUT})
        # the form knows the range: the browser refuses to submit and says why
        field = self.find('#id___param_function_timeout')
        self.assertIn(TIMEOUT_MAX, field.get_attribute('validationMessage'))
        time.sleep(2)
        self.assertTrue(self.find('#id_stack_name').is_displayed())
        self.assertEqual([], self.made_for(stack_name))

    def test_event_type_pattern(self):
        # a constraint the form does not know: Heat's validation answers,
        # under the Details link of the error toast
        from selenium.webdriver.common.by import By
        stack_name = self.unique_name('browser-bad')
        self.launch_stack(SEED, stack_name, {'event_type': BAD_EVENT_TYPE})
        self.click('//*[contains(@class, "alert-danger")]'
                   '//a[contains(., "Details")]', by=By.XPATH)
        self.wait_for_text(BAD_EVENT_MESSAGE)
        self.assertIn('event_type', self.page_text())
        self.assertEqual([], self.made_for(stack_name))
