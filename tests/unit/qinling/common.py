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


"""What the tests of OS::Qinling::Version, Alias and Webhook share:
functions made outside any stack, their versions, stacks run to an
expected state."""
import copy

from heat_qinling import package
from tests.unit import base

CODE = {'hello_world.py': 'def main(**kw):\n    return "v1"\n'}
NEW_CODE = {'hello_world.py': 'def main(**kw):\n    return "v2"\n'}


def stack_template(resources):
    return {'heat_template_version': '2018-08-31',
            'resources': copy.deepcopy(resources)}


FUNCTION = {'type': 'OS::Qinling::Function',
            'properties': {'runtime': 'python3', 'entry': 'hello_world.main',
                           'files': CODE}}
VERSION = {'type': 'OS::Qinling::Version',
           'properties': {'function': {'get_resource': 'fn'},
                          'code_md5sum': {'get_attr': ['fn', 'code',
                                                       'md5sum']},
                          'description': 'first'}}


class VersionsTestCase(base.QinlingStackTestCase):

    def outside_function(self, name='outside', code=CODE):
        """A function made outside any stack."""
        function_id = self.ctx.clients.client_plugin(
            'qinling').create_function(
                code={'source': 'package'}, package=package.build_zip(code),
                runtime=self.runtime_id, name=name,
                entry='hello_world.main').id
        del self.qinling.requests[:]
        return function_id

    def publish(self, function_id, text):
        """New code and a new version of an outside function."""
        plugin = self.ctx.clients.client_plugin('qinling')
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(
                                   {'hello_world.py': text}))
        return plugin.create_version(function_id, '').version_number

    def run_stack(self, tmpl, stk=None, expected=None, name='seed'):
        new = self.parse_stack(tmpl, name=name)
        if stk is None:
            stk = new
            stk.store()
            stk.create()
        else:
            stk.update(new)
        if expected:
            self.assertEqual(expected, stk.state, stk.status_reason)
        return stk

    def version_posts(self):
        return [r for r in self.qinling.write_requests()
                if r[0] == 'POST' and r[1].endswith('/versions')]
