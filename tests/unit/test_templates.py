"""The templates users pick in Horizon render a usable form: every parameter
has a label, a description and constraints, and the engine's own validation
reports them that way."""
import os

from heat.engine import service

from tests.unit import base


def user_templates():
    return sorted(name for name in os.listdir(base.TEMPLATES)
                  if name.endswith('.yaml'))


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
            if schema['type'] != 'boolean':
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


class TemplateFormTest(base.QinlingStackTestCase):

    def test_there_are_templates(self):
        self.assertIn('function-webhook-event-alarm.yaml', user_templates())

    def test_engine_validation_returns_the_form(self):
        name = 'function-webhook-event-alarm.yaml'
        engine = service.EngineService('a-host', 'a-topic')
        result = engine.validate_template(
            self.ctx, base.read_template(name),
            files=base.template_files(name))
        self.assertNotIn('Error', result)
        params = result['Parameters']
        self.assertEqual('compute.instance.create',
                         params['event_type']['Default'])
        self.assertEqual(['low', 'moderate', 'critical'],
                         params['alarm_severity']['AllowedValues'])
        self.assertEqual(1, params['function_timeout']['MinValue'])
        self.assertEqual(300, params['function_timeout']['MaxValue'])
        self.assertEqual('qinling.runtime',
                         params['runtime']['CustomConstraint'])
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
