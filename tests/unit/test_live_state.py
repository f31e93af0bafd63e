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

"""Observing reality: what Heat sees when the resources drift."""
import io
import zipfile

from heat_qinling import package
from tests.unit import base


class LiveStateTest(base.QinlingStackTestCase):

    def setUp(self):
        super().setUp()
        self.stk = self.create(self.seed_stack())
        self.fn = self.stk['function']
        self.function = self.qinling.functions[self.fn.resource_id]

    def test_function_without_drift_matches_its_properties(self):
        live = self.fn.get_live_state(self.fn.properties)
        for prop in ('description', 'entry', 'cpu', 'memory_size', 'timeout',
                     'files'):
            self.assertEqual(self.fn.properties[prop], live[prop], prop)
        self.assertNotIn('name', live)  # Heat generated it

    def test_function_limits_changed_outside_heat(self):
        self.function.update(cpu=250, timeout=60, description='by hand')
        live = self.fn.get_live_state(self.fn.properties)
        self.assertEqual((250, 60, 'by hand'),
                         (live['cpu'], live['timeout'], live['description']))

    def test_function_code_replaced_outside_heat(self):
        other = {'hello_world.py': 'def main(**kw):\n    return "x"\n'}
        data = package.build_zip(other)
        self.qinling.packages[self.fn.resource_id] = data
        self.function['code']['md5sum'] = package.md5sum(data)
        live = self.fn.get_live_state(self.fn.properties)
        self.assertEqual(other, live['files'])

    def test_webhook_repointed_outside_heat(self):
        hook = self.stk['webhook']
        webhook = self.qinling.webhooks[hook.resource_id]
        live = hook.get_live_state(hook.properties)
        self.assertEqual({'function': self.fn.resource_id,
                          'function_version': 0,
                          'description': 'Invoked by the event alarm.',
                          'function_alias': None},
                         live)
        webhook['function_version'] = 2
        self.assertEqual(2, hook.get_live_state(hook.properties)[
            'function_version'])

    def test_binary_package_outside_heat_is_not_reported_as_files(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, 'w') as archive:
            archive.writestr('lib.so', b'\x7fELF\xff\xfe')
        data = buf.getvalue()
        self.qinling.packages[self.fn.resource_id] = data
        self.function['code']['md5sum'] = package.md5sum(data)
        live = self.fn.get_live_state(self.fn.properties)
        self.assertNotIn('files', live)
        self.assertEqual('hello_world.main', live['entry'])
