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

"""The templates users launch render a usable form in Horizon: every
parameter has a label, a description and constraints; every template but the
get_file twin of the seed is self-contained and has no parameter with a
custom constraint; and the engine's own validation accepts each of them, with
no parameters given as with the ones the form submits."""
from heat.common import exception
from heat.engine import service

from tests import catalog_cases
from tests.unit import base
from tests.unit import test_catalog


def user_templates():
    """Every template under templates/, as a path relative to it."""
    return [path[len('templates/'):]
            for path in catalog_cases.launchable_templates(base.REPO)] + [
        catalog_cases.GET_FILE_TWIN[len('templates/'):]]


def horizon_templates():
    return [path[len('templates/'):]
            for path in catalog_cases.launchable_templates(base.REPO)]


def intrinsics(node, name):
    """Every argument of intrinsic function ``name`` in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name:
                yield value
            yield from intrinsics(value, name)
    elif isinstance(node, list):
        for item in node:
            yield from intrinsics(item, name)


class TemplateParametersTest(base.QinlingStackTestCase):
    """One scenario per template, so one bad template hides no other."""

    scenarios = [(name, dict(template=name)) for name in user_templates()]

    def test_every_parameter_is_described_and_constrained(self):
        name = self.template
        tmpl = base.read_template(name)
        self.assertTrue(tmpl.get('description'), name)
        for param, schema in tmpl.get('parameters', {}).items():
            where = '%s: %s' % (name, param)
            self.assertTrue(schema.get('label'), where)
            self.assertTrue(schema.get('description'), where)
            # A boolean is a checkbox; a json value's size is checked by the
            # resource it goes to (e.g. a Job's input, at most 255 chars).
            if schema['type'] not in ('boolean', 'json'):
                self.assertTrue(schema.get('constraints'), where)
        grouped = [p for group in tmpl.get('parameter_groups', [])
                   for p in group['parameters']]
        self.assertEqual(sorted(tmpl.get('parameters', {})),
                         sorted(grouped), name)
        for output, schema in tmpl.get('outputs', {}).items():
            self.assertTrue(schema.get('description'),
                            '%s: %s' % (name, output))


def validate_seed_template(ctx, tmpl, params=None):
    engine = service.EngineService('a-host', 'a-topic')
    return engine.validate_template(
        ctx, tmpl, params={'parameters': params or {}},
        files=base.template_files('function-webhook-event-alarm.yaml'))


class TemplateValuesTest(base.QinlingStackTestCase):
    """template validate checks values once every parameter is known."""

    scenarios = [
        ('cpu', dict(prop='cpu', value=99,
                     fragment='99 is out of range (min: 100, max: 300)')),
        ('runtime', dict(prop='runtime', value='nodejs', fragment='nodejs')),
        ('files', dict(prop='files', value={'/abs.py': 'x'},
                       fragment='is absolute')),
    ]

    def test_bad_value_is_reported_before_writing(self):
        tmpl = base.read_template('function-webhook-event-alarm.yaml')
        tmpl['resources']['function']['properties'][self.prop] = self.value
        error = validate_seed_template(self.ctx, tmpl).get('Error', '')
        self.assertIn('resources.function.properties.%s' % self.prop, error)
        self.assertIn(self.fragment, error)
        self.assertEqual([], self.qinling.write_requests())


class ValidatesWithoutParametersTest(base.QinlingStackTestCase):
    """``openstack orchestration template validate -t <file>``, alone.

    As the CLI sends it (and Horizon's Select Template step): no
    parameters, the catalog's environment for the templates that use its
    types, and nothing written anywhere.
    """

    scenarios = [(name, dict(template=name)) for name in user_templates()]

    def test_validates(self):
        env, files = test_catalog.environment_and_files()
        files.update(base.template_files(self.template))
        result = service.EngineService('a-host', 'a-topic').validate_template(
            self.ctx, base.read_template(self.template), params=env,
            files=files)
        self.assertNotIn('Error', result)
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([], self.aodh.write_requests())


class TemplateFormTest(base.QinlingStackTestCase):

    def test_there_are_templates(self):
        self.assertIn('function-webhook-event-alarm.yaml',
                      horizon_templates())
        self.assertIn('triggers/event.yaml', horizon_templates())

    def test_horizon_templates_are_self_contained(self):
        # heat-dashboard refuses a relative get_file and crashes on an
        # absolute URL; a provider template given by path is the same.
        for name in horizon_templates():
            tmpl = base.read_template(name)
            self.assertEqual([], list(intrinsics(tmpl, 'get_file')), name)
            for rname, rsrc in tmpl.get('resources', {}).items():
                self.assertFalse(rsrc['type'].endswith(('.yaml', '.template')),
                                 '%s: %s' % (name, rname))

    def test_horizon_templates_have_no_custom_constraint_parameters(self):
        # heat-dashboard renders a custom constraint it does not know as an
        # empty drop-down that submits ''. Constraints stay on the resource
        # properties, where Heat checks them at create.
        for name in horizon_templates():
            for param, schema in base.read_template(name).get(
                    'parameters', {}).items():
                kinds = [k for c in schema.get('constraints', [])
                         for k in c if k != 'description']
                self.assertNotIn('custom_constraint', kinds,
                                 '%s: %s' % (name, param))

    def test_get_file_twin_differs_only_in_where_the_code_is(self):
        inline = base.read_template('function-webhook-event-alarm.yaml')
        twin = base.read_template(
            'function-webhook-event-alarm-get-file.yaml')
        code = base.template_files(
            'function-webhook-event-alarm-get-file.yaml')
        self.assertEqual(
            {'hello_world.py': code['functions/hello_world.py']},
            inline['resources']['function']['properties']['files'])
        for tmpl in (inline, twin):
            del tmpl['resources']['function']['properties']['files']
            del tmpl['description']
        self.assertEqual(inline, twin)

    def test_engine_validation_returns_the_form(self):
        name = 'function-webhook-event-alarm.yaml'
        engine = service.EngineService('a-host', 'a-topic')
        result = engine.validate_template(
            self.ctx, base.read_template(name), files={})
        self.assertNotIn('Error', result)
        params = result['Parameters']
        self.assertEqual('compute.instance.create.end',
                         params['event_type']['Default'])
        self.assertEqual(['low', 'moderate', 'critical'],
                         params['alarm_severity']['AllowedValues'])
        self.assertEqual(1, params['function_timeout']['MinValue'])
        self.assertEqual(300, params['function_timeout']['MaxValue'])
        self.assertNotIn('CustomConstraint', params['runtime'])
        self.assertEqual('true', str(
            params['repeat_actions']['Default']).lower())
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([], self.aodh.write_requests())

    def test_engine_validation_rejects_bad_code_before_writing(self):
        tmpl = base.read_template('function-webhook-event-alarm.yaml')
        tmpl['resources']['function']['properties']['entry'] = 'main.main'
        result = self.validate_template(tmpl)
        self.assertIn('resources.function.properties.entry',
                      result['Error'])
        self.assertIn('names module "main"', result['Error'])
        self.assertEqual([], self.qinling.write_requests())

    def validate_template(self, tmpl, params=None):
        return validate_seed_template(self.ctx, tmpl, params)

    def test_template_validate_checks_a_given_parameter_value(self):
        tmpl = base.read_template('function-webhook-event-alarm.yaml')
        props = tmpl['resources']['function']['properties']
        props['timeout'] = {'get_param': 'function_timeout'}
        error = self.validate_template(tmpl, {'function_timeout': 400})
        self.assertIn('400 is out of range', error.get('Error', ''))
        self.assertEqual([], self.qinling.write_requests())

    def test_template_validate_leaves_values_of_missing_parameters(self):
        tmpl = base.read_template('function-webhook-event-alarm.yaml')
        del tmpl['parameters']['function_timeout']['default']
        # Without a value for function_timeout nothing is checked by value,
        # as Heat does for its own resources; the values are checked once the
        # parameter is given.
        self.assertNotIn('Error', self.validate_template(tmpl))
        self.assertIn('Error', self.validate_template(
            tmpl, {'function_timeout': 0}))


class SeedTemplateValidationTest(base.QinlingStackTestCase):

    def test_seed_template_validates_with_defaults(self):
        self.seed_stack().validate()
        self.assertEqual([], self.qinling.write_requests())

    def test_parameter_constraints_explain_the_range(self):
        stk = self.seed_stack(params={'function_timeout': 301})
        ex = self.assertRaises(exception.StackValidationFailed, stk.validate)
        self.assertIn('Qinling allows 1 to 300 seconds', str(ex))
