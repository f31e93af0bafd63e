"""Launch Stack from Horizon for every launchable template: upload, fill the
form, launch, see the outputs, fire the function with an event, delete the
stack from the UI and find nothing left behind. One scenario per template,
so one failing template does not hide the others."""
import io
import time

import fixtures
import testscenarios

from heat_qinling import package
from tests.browser import base
from tests.browser import cases

load_tests = testscenarios.load_tests_apply_scenarios

# the bad value of the form test, and what the user must be told
BAD_TIMEOUT = '999'
TIMEOUT_MAX = '300'
BAD_EVENT_TYPE = 'compute instance!'
# the constraint's description in the seed template
BAD_EVENT_MESSAGE = 'The event type is dotted words'


class LaunchStackTest(base.BrowserTestCase):

    scenarios = [(case.name, {'case': case}) for case in cases.CASES]

    def existing_function(self):
        """A function of the demo project for a trigger that takes one (by name)."""
        catalog = cases.catalog_cases
        name = self.unique_name('browser-fn')
        zipped = package.build_zip(catalog.FUNCTION_FILES)
        function = self.qinling.functions.create(
            name=name, runtime='python3',
            code={'source': 'package', 'entry': catalog.FUNCTION_ENTRY},
            package=io.BytesIO(zipped))
        self.addCleanup(self.qinling.functions.delete, function.id)
        return name

    def test_launch_fire_delete(self):
        case = self.case
        parameters = dict(case.parameters)
        if case.function_parameter:
            parameters[case.function_parameter] = self.existing_function()
        stack_name = self.unique_name('browser-%s' % case.name)
        workdir = self.useFixture(fixtures.TempDir()).path

        self.launch_stack(cases.upload_path(case, workdir), stack_name, parameters)
        stack = self.wait_stack_launched(stack_name)
        outputs = self.outputs(stack)
        self.assertEqual(parameters[case.changed],
                         stack.parameters[case.changed])

        self.open_stack(stack)
        shown = self.page_text()
        for key in case.outputs:
            self.assertIn(key, shown)
            self.assertIn(str(outputs[key]), shown)

        self.wait_until_alarms_cached()
        for event in case.fires:
            self.emit(event.event_type, event.traits)
        function_id = outputs['function_id']
        executions = self.wait_for_executions(function_id, len(case.fires))
        self.assertEqual(['success'] * len(case.fires),
                         [e.status for e in executions],
                         [base.e2e.decode(e.result) for e in executions])
        self.assertEqual(
            sorted(cases.expected_output(case, e) for e in case.fires),
            sorted((base.e2e.decode(e.result) or {}).get('output')
                   for e in executions))

        created = self.stack_physical_ids(stack)
        self.assertTrue(created.get('OS::Aodh::EventAlarm'), created)
        self.delete_stack_in_ui(stack)
        self.assertEqual([], self.leftovers(created))


class BadValueTest(base.BrowserTestCase):
    """A value the template forbids is refused in the form; nothing is made."""

    def counts(self):
        return (len(self.qinling.functions.list()),
                len(self.qinling.webhooks.list()),
                len(self.aodh.alarm.list()))

    def test_timeout_999(self):
        before = self.counts()
        stack_name = self.unique_name('browser-bad')
        workdir = self.useFixture(fixtures.TempDir()).path
        self.launch_stack(cases.upload_path(cases.CASES[0], workdir), stack_name,
                          {'function_timeout': BAD_TIMEOUT})
        field = self.find('#id___param_function_timeout')
        # the browser refuses to submit and tells the user the limit
        message = field.get_attribute('validationMessage')
        self.assertIn(TIMEOUT_MAX, message)
        time.sleep(2)
        self.assertTrue(self.find('#id_stack_name').is_displayed())
        self.assertIsNone(self.find_stack(stack_name))
        self.assertEqual(before, self.counts())

    def test_event_type_pattern(self):
        # a constraint the form cannot check: Heat's validation answers
        before = self.counts()
        stack_name = self.unique_name('browser-bad')
        workdir = self.useFixture(fixtures.TempDir()).path
        self.launch_stack(cases.upload_path(cases.CASES[0], workdir),
                          stack_name, {'event_type': BAD_EVENT_TYPE})
        # an error toast; its Details link shows Heat's message
        from selenium.webdriver.common.by import By
        self.find('.alert-danger').find_element(
            By.PARTIAL_LINK_TEXT, 'Details').click()
        self.wait_for_text(BAD_EVENT_MESSAGE)
        self.assertIn('event_type', self.page_text())
        self.assertIsNone(self.find_stack(stack_name))
        self.assertEqual(before, self.counts())
