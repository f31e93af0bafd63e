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

"""The trigger catalog on Heat's engine: every template validates, every
trigger is registered as a named type, and each case of
tests/catalog_cases.py creates the alarm its events are meant to match."""
import json
import os

from heat.common import template_format
from heat.engine import environment
from heat.engine import service
from heat.engine import stack as heat_stack
from heat.engine import template

from tests import catalog_cases
from tests.unit import base

TRIGGERS = os.path.join(base.TEMPLATES, 'triggers')
ENV_FILE = os.path.join(TRIGGERS, 'environment.yaml')


def read(path):
    with open(os.path.join(base.REPO, path)) as f:
        return template_format.parse(f.read())


def registry():
    with open(ENV_FILE) as f:
        return template_format.yaml.safe_load(f)['resource_registry']


def environment_and_files():
    """The environment and files python-heatclient sends for the catalog.

    That is, for ``-e templates/triggers/environment.yaml``: paths become
    file:// URLs whose content travels in ``files``.
    """
    env, files = {}, {}
    for type_name, path in registry().items():
        url = 'file://' + os.path.join(TRIGGERS, path)
        env[type_name] = url
        with open(os.path.join(TRIGGERS, path)) as f:
            files[url] = f.read()
    return {'resource_registry': env}, files


class CatalogTestCase(base.QinlingStackTestCase):

    def setUp(self):
        super().setUp()
        self.function_id = self.add_function('existing-fn')
        self.env, self.files = environment_and_files()

    def stack(self, case, function='existing-fn', name=None):
        params = dict(case.parameters)
        if case.function_parameter:
            params[case.function_parameter] = function
        env = dict(self.env, parameters=params)
        templ = template.Template(read(case.template), files=self.files,
                                  env=environment.Environment(env))
        return heat_stack.Stack(self.ctx, name or case.name, templ,
                                disable_rollback=True)

    def outputs(self, stk):
        # As heat-api shows them: the stack object that ran the create only
        # holds the attributes its resources needed.
        engine = service.EngineService('a-host', 'a-topic')
        [shown] = engine.show_stack(self.ctx, stk.identifier())
        return {o['output_key']: o['output_value'] for o in shown['outputs']}


def case_scenarios(keep=lambda case: True):
    return [(case.name, dict(case=case))
            for case in catalog_cases.CASES if keep(case)]


class CaseValidatesTest(CatalogTestCase):
    """Every template of the catalog validates in the engine."""

    scenarios = case_scenarios()

    def test_validates_in_the_engine(self):
        engine = service.EngineService('a-host', 'a-topic')
        params = dict(self.case.parameters)
        if self.case.function_parameter:
            params[self.case.function_parameter] = 'existing-fn'
        env = dict(self.env, parameters=params)
        result = engine.validate_template(
            self.ctx, read(self.case.template), params=env, files=self.files)
        self.assertNotIn('Error', result)
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([], self.aodh.write_requests())


class ComposedCaseValidatesTest(CatalogTestCase):
    """A stack that composes triggers validates as stack create does."""

    scenarios = case_scenarios(lambda case: case.environment)

    def test_validates_as_stack_create_does(self):
        # Before creating anything, {get_resource: function} passed to a
        # trigger is the name "function"; the trigger's webhook must not
        # look that name up in Qinling then.
        self.stack(self.case).validate()
        self.assertEqual([], self.qinling.write_requests())


class CaseCreatesAlarmTest(CatalogTestCase):
    """Each trigger creates alarms on its events, and its outputs."""

    # Nested stacks (the examples) need an RPC engine: the end-to-end
    # tests create those.
    scenarios = case_scenarios(lambda case: not case.environment)

    def test_creates_an_alarm_on_its_events(self):
        case = self.case
        stk = self.create(self.stack(case))
        alarms = list(self.aodh.alarms.values())
        self.assertEqual(len(case.fires), len(alarms))
        for alarm in alarms:
            self.assertTrue(alarm['repeat_actions'])
            self.assertEqual('event', alarm['type'])
        outputs = self.outputs(stk)
        for name in case.outputs:
            self.assertIsNotNone(outputs[name], name)
        if case.function_parameter:
            self.assertEqual(self.function_id, outputs['function_id'])
            self.assertEqual(alarms[0]['alarm_id'], outputs['alarm_id'])
            # OS::stack_id: get_resource on the trigger is the alarm ID
            self.assertEqual(alarms[0]['alarm_id'], outputs['OS::stack_id'])
        for value in case.parameters.values():
            if value.startswith('['):
                for cond in json.loads(value):
                    self.assertIn(cond, [a['event_rule']['query']
                                         for a in alarms][0])
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.aodh.leftovers())


class CatalogTest(CatalogTestCase):

    def test_every_trigger_is_registered_as_a_named_type(self):
        types = registry()
        triggers = sorted(name for name in os.listdir(TRIGGERS)
                          if name != 'environment.yaml')
        self.assertEqual(triggers, sorted(types.values()))
        for type_name in types:
            self.assertTrue(type_name.startswith('Qinling::Trigger::'),
                            type_name)

    def test_every_trigger_sets_its_stack_id(self):
        # so that get_resource on a trigger returns a real ID
        for name in registry().values():
            outputs = read(os.path.join('templates', 'triggers', name))[
                'outputs']
            self.assertIn('OS::stack_id', outputs, name)

    def alarms_by_event_type(self):
        return {a['event_rule']['event_type']: a
                for a in self.aodh.alarms.values()}

    def test_trigger_on_existing_function_leaves_it(self):
        [case] = [c for c in catalog_cases.CASES if c.name == 'event']
        stk = self.create(self.stack(case))
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertIn(self.function_id, self.qinling.functions)
        self.assertEqual({}, self.qinling.webhooks)

    def test_thin_trigger_filters_only_what_is_given(self):
        [case] = [c for c in catalog_cases.CASES
                  if c.name == 'server-created']
        self.create(self.stack(case))
        [alarm] = self.aodh.alarms.values()
        self.assertEqual('compute.instance.create.end',
                         alarm['event_rule']['event_type'])
        self.assertEqual(
            [{'field': 'traits.display_name', 'op': 'eq', 'type': 'string',
              'value': 'web1'}],
            alarm['event_rule']['query'])

        self.aodh.alarms.clear()
        case = case._replace(parameters={})
        self.create(self.stack(case, name='no-filter'))
        [alarm] = self.aodh.alarms.values()
        self.assertEqual([], alarm['event_rule'].get('query', []))
