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

"""The end-to-end tests that stop or kill the cloud's processes say so in
their class name ("Disruptive"), so that a runner can run them alone."""
import ast
import os

from oslotest import base as oslo_base

from tests.unit import base

E2E = os.path.join(base.REPO, 'tests', 'e2e')
# What stops, kills or restarts a process of the shared cloud.
DISRUPTING = {'stop_process', 'kill_process', 'down'}


def disrupting_classes():
    """(module, class) of every e2e test class that calls one of them."""
    found = []
    for name in sorted(os.listdir(E2E)):
        if not (name.startswith('test_') and name.endswith('.py')):
            continue
        with open(os.path.join(E2E, name)) as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            called = {n.func.attr for n in ast.walk(node)
                      if isinstance(n, ast.Call) and
                      isinstance(n.func, ast.Attribute)}
            if called & DISRUPTING:
                found.append((name, node))
    return found


class DisruptiveMarkerTest(oslo_base.BaseTestCase):

    def test_classes_that_stop_processes_are_marked(self):
        found = disrupting_classes()
        self.assertTrue(found)
        for module, node in found:
            where = '%s: %s' % (module, node.name)
            self.assertIn('Disruptive', node.name, where)
            self.assertIn('DISRUPTIVE', ast.get_docstring(node) or '', where)
