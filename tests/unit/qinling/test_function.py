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


"""OS::Qinling::Function on Heat's engine against the fake Qinling: bad
input is rejected at validation time, naming the property and the allowed
range or choice, before anything is written to Qinling or Aodh."""
import copy

from tests.unit import base


class FunctionTestCase(base.QinlingStackTestCase):

    def validate(self, *fragments, **props):
        tmpl = copy.deepcopy(base.FUNCTION_ONLY)
        fn_props = tmpl['resources']['fn']['properties']
        for key, value in props.items():
            if value is None:
                fn_props.pop(key, None)
            else:
                fn_props[key] = value
        return self.assertValidationFails(self.parse_stack(tmpl), *fragments)


class LimitValidationTest(FunctionTestCase):

    scenarios = [
        ('cpu_low', dict(prop='cpu', value=99,
                         allowed='(min: 100, max: 300)')),
        ('cpu_high', dict(prop='cpu', value=301,
                          allowed='(min: 100, max: 300)')),
        ('memory_low', dict(prop='memory_size', value=1024,
                            allowed='(min: 33554432, max: 134217728)')),
        ('memory_high', dict(prop='memory_size', value=134217729,
                             allowed='(min: 33554432, max: 134217728)')),
        ('timeout_low', dict(prop='timeout', value=0,
                             allowed='(min: 1, max: 300)')),
        ('timeout_high', dict(prop='timeout', value=301,
                              allowed='(min: 1, max: 300)')),
    ]

    def test_limit_names_the_property_and_range(self):
        self.validate('properties.%s' % self.prop, self.allowed,
                      **{self.prop: self.value})


class FunctionValidationTest(FunctionTestCase):

    def test_valid_function_passes(self):
        self.parse_stack(copy.deepcopy(base.FUNCTION_ONLY)).validate()
        self.assertEqual([], self.qinling.write_requests())

    def test_no_code_source(self):
        self.validate('exactly one code source', '"files"', '"swift"',
                      '"image"', 'got none', files=None)

    def test_two_code_sources(self):
        self.validate('exactly one code source', 'got "files", "swift"',
                      swift={'container': 'c', 'object': 'o.zip'})

    def test_empty_files(self):
        self.validate('properties.files', '"files" is empty', files={})

    def test_absolute_path(self):
        self.validate('properties.files', '"/tmp/hello_world.py" is absolute',
                      files={'/tmp/hello_world.py': 'x'}, entry='x.main')

    def test_dotdot_path(self):
        self.validate('properties.files', 'contains ".."',
                      files={'../hello_world.py': 'x',
                             'hello_world.py': 'x'})

    def test_entry_not_module_dot_function(self):
        self.validate('properties.entry', '"module.function"',
                      entry='hello_world')

    def test_entry_module_not_in_files(self):
        self.validate('properties.entry', 'names module "main"',
                      'main.py', 'Files given: hello_world.py',
                      entry='main.main')

    def test_runtime_required_for_files(self):
        self.validate('properties.runtime', 'required', runtime=None)

    def test_runtime_not_with_image(self):
        self.validate('properties.runtime', 'not used with "image"',
                      files=None, image='qinling/hello:latest')

    def test_limit_not_an_integer(self):
        self.validate('properties.cpu', 'abc', cpu='abc')

    def test_unknown_runtime(self):
        self.validate('properties.runtime', 'nodejs',
                      'could not be found', runtime='nodejs')

    def test_ambiguous_runtime_name(self):
        self.qinling.add_runtime(name='python3')
        self.validate('properties.runtime', 'Multiple physical resources',
                      'python3')

    def test_runtime_by_id(self):
        tmpl = copy.deepcopy(base.FUNCTION_ONLY)
        tmpl['resources']['fn']['properties']['runtime'] = self.runtime_id
        self.parse_stack(tmpl).validate()
