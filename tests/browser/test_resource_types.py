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

"""Orchestration > Resource Types: our types are listed and documented."""
from tests.browser import base

QINLING_TYPES = {'OS::Qinling::Function', 'OS::Qinling::Webhook'}


class ResourceTypesTest(base.BrowserTestCase):

    def api_types(self):
        return {t.resource_type for t in self.heat.resource_types.list()
                if t.resource_type.startswith('OS::Qinling::')}

    def test_lists_qinling_types(self):
        expected = self.api_types()
        self.assertTrue(QINLING_TYPES <= expected, expected)
        self.open('/project/resource_types/')
        self.find('#resource_types')
        links = self.driver.find_elements(
            'css selector', '#resource_types a[href*="OS::Qinling::"]')
        self.assertEqual(expected, {a.text for a in links})

    def test_type_page_shows_properties(self):
        for rtype in sorted(QINLING_TYPES):
            schema = self.heat.resource_types.get(rtype)
            self.open('/project/resource_types/')
            self.click('#resource_types a[href*="%s"]' % rtype)
            self.wait_for_text('Properties')
            shown = self.page_text()
            self.assertIn(rtype, shown)
            # the schema as YAML: one key per property, with its description
            # (folded over lines: compare with whitespace collapsed)
            properties = shown[shown.index('Properties'):]
            flat = ' '.join(properties.split())
            for name, prop in schema['properties'].items():
                self.assertIn('\n%s:' % name, properties)
                self.assertIn(' '.join(prop['description'].split())[:20], flat)
