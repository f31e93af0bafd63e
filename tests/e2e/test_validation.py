"""Bad input is rejected through the real Heat API (template validate and stack
preview) with a message naming the property, and nothing reaches Qinling or Aodh."""
import copy

from heatclient import exc as heat_exc

from tests.e2e import base

BAD_FUNCTION_PROPERTIES = (
    # (property, value, what the message must say)
    ('files', None, 'exactly one code source'),
    ('swift', {'container': 'c', 'object': 'o.zip'}, 'exactly one code source'),
    ('files', {}, '"files" is empty'),
    ('files', {'/srv/hello_world.py': 'x'}, 'is absolute'),
    ('files', {'../hello_world.py': 'x'}, 'contains ".."'),
    ('entry', 'hello_world', '"module.function"'),
    ('entry', 'main.main', 'names module "main"'),
    ('cpu', 500, 'out of range (min: 100, max: 300)'),
    ('memory_size', 1024, 'out of range (min: 33554432, max: 134217728)'),
    ('timeout', 301, 'out of range (min: 1, max: 300)'),
    ('runtime', 'no-such-runtime', 'no-such-runtime'),
)


class ValidationTest(base.E2ETestCase):

    def inventory(self):
        return (sorted(f.id for f in self.qinling.functions.list()),
                sorted(w.id for w in self.qinling.webhooks.list()),
                sorted(a['alarm_id'] for a in self.aodh.alarm.list()))

    def bad_templates(self):
        template, files = self.template_contents()
        for prop, value, fragment in BAD_FUNCTION_PROPERTIES:
            bad = copy.deepcopy(template)
            props = bad['resources']['function']['properties']
            if value is None:
                del props[prop]
            else:
                props[prop] = value
            yield prop, fragment, bad, files
        bad = copy.deepcopy(template)
        bad['resources']['webhook']['properties']['function_version'] = -1
        yield 'function_version', 'at least 0', bad, files

    def test_template_validate_and_preview_reject_bad_input(self):
        before = self.inventory()
        for prop, fragment, template, files in self.bad_templates():
            for call in (
                    lambda: self.heat.stacks.validate(template=template,
                                                      files=files),
                    lambda: self.heat.stacks.preview(
                        stack_name=self.unique_name('e2e-preview'),
                        template=template, files=files)):
                ex = self.assertRaises(heat_exc.HTTPBadRequest, call)
                self.assertIn(prop, str(ex), fragment)
                self.assertIn(fragment, str(ex))
        self.assertEqual(before, self.inventory())

    def test_unknown_webhook_function(self):
        template, files = self.template_contents()
        template['resources']['webhook']['properties']['function'] = 'nope'
        ex = self.assertRaises(heat_exc.HTTPBadRequest, self.heat.stacks.validate,
                               template=template, files=files)
        self.assertIn('resources.webhook.properties.function', str(ex))
        self.assertIn('nope', str(ex))
