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

"""Bad input is rejected through the real Heat API (template validate and stack
preview) with a message naming the property, and nothing reaches Qinling or
Aodh."""
import copy
import io
import json
import os

from heatclient import exc as heat_exc

from heat_qinling import package
from tests.e2e import base

BAD_FUNCTION_PROPERTIES = (
    # (property, value, what the message must say)
    ('files', None, 'exactly one code source'),
    (
        'swift',
        {'container': 'c', 'object': 'o.zip'},
        'exactly one code source',
    ),
    ('files', {}, '"files" is empty'),
    ('files', {'/srv/hello_world.py': 'x'}, 'is absolute'),
    ('files', {'../hello_world.py': 'x'}, 'contains ".."'),
    ('entry', 'hello_world', '"module.function"'),
    ('entry', 'main.main', 'names module "main"'),
    ('cpu', 500, 'out of range (min: 100, max: 300)'),
    ('memory_size', 1024, 'out of range (min: 33554432, max: 134217728)'),
    ('timeout', 301, 'out of range (min: 1, max: 300)'),
    ('runtime', 'no-such-runtime', 'no-such-runtime'),
    ('files', {'hello_world.py': 42}, 'is a number, not text'),
    ('files', {'hello_world.py': ['a', 'b']}, 'is a list, not text'),
    (
        'files',
        {'hello_world.py': 'x', 'lib.so': '\x7fELF\x02\x01\x00'},
        '"lib.so" is binary',
    ),
    ('name', 'n' * 256, 'at most 255 characters'),
    ('name', 'two\nlines', 'control characters'),
    ('description', 'd' * 70000, 'at most 255 characters'),
    ('description', 'a\tb', 'control characters'),
)
BAD_WEBHOOK_PROPERTIES = (
    ('function_version', -1, 'at least 0'),
    ('function_version', 1, 'has no version 1'),
    ('description', 'd' * 256, 'at most 255 characters'),
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
        for prop, value, fragment in BAD_WEBHOOK_PROPERTIES:
            bad = copy.deepcopy(template)
            bad['resources']['webhook']['properties'][prop] = value
            yield prop, fragment, bad, files

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

    def test_binary_file_through_get_file_is_refused(self):
        import fixtures
        import shutil
        copy_dir = os.path.join(self.useFixture(fixtures.TempDir()).path, 't')
        shutil.copytree(base.TEMPLATES, copy_dir)
        with open(os.path.join(copy_dir, 'functions', 'model.bin'), 'wb') as f:
            f.write(bytes(range(256)) * 8)
        path = os.path.join(copy_dir, os.path.basename(base.SEED_TEMPLATE))
        template, files = self.template_contents(path)
        template['resources']['function']['properties']['files'][
            'model.bin'] = {'get_file': 'functions/model.bin'}
        template, files = self.reload_with_files(template, path)
        before = self.inventory()
        ex = self.assertRaises(
            heat_exc.HTTPBadRequest,
            self.heat.stacks.validate,
            template=template,
            files=files,
        )
        self.assertIn('properties.files', str(ex))
        self.assertIn('"model.bin" is binary', str(ex))
        self.assertIn('Swift', str(ex))
        self.assertEqual(before, self.inventory())

    def reload_with_files(self, template, path):
        """(template, files) as heatclient makes them from ``template``."""
        import yaml
        with open(path, 'w') as f:
            yaml.safe_dump(template, f)
        return self.template_contents(path)

    def test_unknown_webhook_function(self):
        template, files = self.template_contents()
        template['resources']['webhook']['properties']['function'] = 'nope'
        ex = self.assertRaises(
            heat_exc.HTTPBadRequest,
            self.heat.stacks.validate,
            template=template,
            files=files,
        )
        self.assertIn('resources.webhook.properties.function', str(ex))
        self.assertIn('nope', str(ex))


EVENT_TRIGGER = os.path.join(base.TEMPLATES, 'triggers', 'event.yaml')
# queries Aodh's event evaluator cannot use, and what the refusal must say
BAD_QUERIES = (
    ([{'field': 'traits.is_public', 'op': 'eq', 'type': 'boolean',
       'value': 'true'}], 'type "boolean" silences every event alarm'),
    ([{'field': 'display_name', 'op': 'eq', 'value': 'web1'}],
     'the field is not a trait'),
    ([{'field': 'traits.size', 'op': 'like', 'type': 'integer',
       'value': '1'}], '"like" is not an allowed value'),
)
SILENCING_ALARM = {
    'heat_template_version': '2018-08-31',
    'resources': {'alarm': {
        'type': 'OS::Aodh::EventAlarm',
        'properties': {'event_type': 'compute.instance.create.end',
                       'query': BAD_QUERIES[0][0]}}},
}
OPT_IN = {'resource_registry': {
    'OS::Aodh::EventAlarm': 'OS::Qinling::EventAlarm'}}


class EventQueryTest(base.E2ETestCase):
    """Queries Aodh cannot use never reach it.

    The event trigger refuses them, and so do raw alarms once an operator
    maps the type.
    """

    def test_event_trigger_refuses_them(self):
        [runtime] = [r for r in self.qinling.runtimes.list()
                     if r.name == 'python3']
        function = self.qinling.functions.create(
            code={'source': 'package'}, runtime=runtime.id,
            name=self.unique_name('e2e-query'), entry='hello_world.main',
            package=io.BytesIO(package.build_zip(
                {'hello_world.py': 'def main(**kw):\n    return 1\n'})))
        self.addCleanup(self.qinling.functions.delete, function.id)
        template, files = self.template_contents(EVENT_TRIGGER)
        before = self.inventory()
        for query, fragment in BAD_QUERIES:
            environment = {'parameters': {'function': function.name,
                                          'query': json.dumps(query)}}
            # template validate --parameter ..., and stack create --dry-run
            for call in (
                    lambda: self.heat.stacks.validate(
                        template=template, files=files,
                        environment=environment),
                    lambda: self.heat.stacks.preview(
                        stack_name=self.unique_name('e2e-preview'),
                        template=template, files=files,
                        environment=environment)):
                ex = self.assertRaises(heat_exc.HTTPBadRequest, call)
                self.assertIn('resources.alarm.properties.query', str(ex))
                self.assertIn(fragment, str(ex))
        self.assertEqual(before, self.inventory())

    def test_operator_mapping_checks_raw_alarms(self):
        # Heat alone accepts the query that silences the project's alarms...
        self.heat.stacks.validate(template=SILENCING_ALARM)
        # ...and refuses it with OS::Aodh::EventAlarm mapped to the checked
        # type (a user environment here; an operator's goes in
        # environment_dir)
        before = self.inventory()
        ex = self.assertRaises(heat_exc.HTTPBadRequest,
                               self.heat.stacks.preview,
                               stack_name=self.unique_name('e2e-preview'),
                               template=SILENCING_ALARM, environment=OPT_IN)
        self.assertIn('type "boolean" silences every event alarm', str(ex))
        self.assertEqual(before, self.inventory())
