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

"""What heat_qinling/resources/heat_internals.py relies on in Heat's engine:
each test fails, saying what changed, when a Heat release changes it."""
import copy
from importlib import metadata
import inspect

from heat.engine import resource

from heat_qinling.resources import heat_internals
from tests.unit import base

HEAT_SERIES = '27.'


class HeatInternalsTest(base.QinlingStackTestCase):

    def test_written_for_this_heat_series(self):
        version = metadata.version('openstack-heat')
        self.assertTrue(version.startswith(HEAT_SERIES),
                        'heat_internals was written for openstack-heat %sx; '
                        'check each of its needs against %s' % (HEAT_SERIES,
                                                                version))

    def test_update_observes_live_state_when_converge_is_set(self):
        # ObservedWhenFailed sets converge; Heat must still read it where
        # it decides to observe the live state before an update.
        source = inspect.getsource(resource.Resource._prepare_update_props)
        self.assertIn('self.converge', source)
        self.assertIn('get_live_state', source)
        self.assertIn('_update_properties_with_live_state', source)

    def test_failed_resource_is_replaced_only_if_the_plugin_says_so(self):
        source = inspect.getsource(resource.Resource._needs_update)
        self.assertIn('self.needs_replace_failed()', source)

    def test_update_validation_knows_the_stack_it_updates(self):
        stk = self.create(self.parse_stack(copy.deepcopy(
            base.FUNCTION_ONLY)))
        updated = self.as_update_of(stk, self.parse_stack(copy.deepcopy(
            base.FUNCTION_ONLY)))
        self.assertIsNone(updated.id)
        self.assertEqual(stk.id, heat_internals.existing_stack_id(updated))
        self.assertEqual(stk['fn'].resource_id,
                         heat_internals.stored_physical_id(updated, 'fn'))
        self.assertEqual('hello_world.main', heat_internals.stored_properties(
            updated, 'fn')['entry'])

    def test_a_new_stack_has_none(self):
        new = self.parse_stack(copy.deepcopy(base.FUNCTION_ONLY))
        self.assertIsNone(heat_internals.existing_stack_id(new))
        self.assertEqual({}, heat_internals.stored_resources(new))
