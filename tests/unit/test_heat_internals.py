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

"""What heat_qinling/resources/heat_internals.py relies on in Heat's engine.

One test per internal: each fails, naming the internal and the need of
heat_internals that uses it, when a Heat release drops or changes it.
"""
import configparser
import copy
from importlib import metadata
import inspect
import os

from packaging import specifiers

from heat.common import identifier
from heat.engine.hot import parameters as hot_parameters
from heat.engine import parameters
from heat.engine import resource
from heat.engine import stack as heat_stack
from heat.engine import stk_defn
from heat.objects import resource as resource_objects
from heat.policies import base as policies_base
from heat.policies import resource_types as resource_types_policies

from heat_qinling.resources import heat_internals
from tests.unit import base


class HeatInternalsTest(base.QinlingStackTestCase):

    def assertInternal(self, present, internal, need):
        self.assertTrue(present, 'Heat no longer has %s, which '
                        'heat_internals.%s relies on' % (internal, need))

    def assertInSource(self, fragment, func, internal, need):
        self.assertInternal(fragment in inspect.getsource(func),
                            '%s (%r no longer in it)' % (internal, fragment),
                            need)

    # The supported range ----------------------------------------------

    def test_installed_heat_is_in_the_supported_range(self):
        version = metadata.version('openstack-heat')
        self.assertIn(version, specifiers.SpecifierSet(
            heat_internals.SUPPORTED_HEAT),
            'heat_internals was checked against openstack-heat%s; check '
            'each of its needs against %s' % (heat_internals.SUPPORTED_HEAT,
                                              version))

    def test_setup_cfg_states_the_same_range(self):
        path = os.path.join(base.REPO, 'setup.cfg')
        if not os.path.exists(path):
            self.skipTest('not in a source tree')
        setup = configparser.ConfigParser()
        setup.read(path)
        self.assertEqual(
            'openstack-heat' + heat_internals.SUPPORTED_HEAT,
            setup['extras']['heat'].strip())

    # 1. ObservedWhenFailed ---------------------------------------------

    def test_update_observes_live_state_when_converge_is_set(self):
        # ObservedWhenFailed sets converge; Heat must still read it where
        # it decides to observe the live state before an update.
        need = 'ObservedWhenFailed'
        func = resource.Resource._prepare_update_props
        self.assertInSource('self.converge', func,
                            'Resource._prepare_update_props', need)
        self.assertInSource('get_live_state', func,
                            'Resource._prepare_update_props', need)
        self.assertInSource('_update_properties_with_live_state', func,
                            'Resource._prepare_update_props', need)

    def test_failed_resource_is_replaced_only_if_the_plugin_says_so(self):
        self.assertInSource('self.needs_replace_failed()',
                            resource.Resource._needs_update,
                            'Resource._needs_update', 'ObservedWhenFailed')

    # 2. ValuesInTemplateValidate ---------------------------------------

    def test_template_validate_calls_validate_template(self):
        need = 'ValuesInTemplateValidate'
        self.assertInternal(
            callable(getattr(resource.Resource, 'validate_template', None)),
            'Resource.validate_template', need)
        self.assertInSource('res.validate_template()',
                            heat_stack.Stack.validate, 'Stack.validate',
                            need)

    def test_stack_says_whether_values_are_validated(self):
        need = 'ValuesInTemplateValidate'
        stk = self.parse_stack(copy.deepcopy(base.FUNCTION_ONLY))
        self.assertInternal(isinstance(stk.strict_validate, bool),
                            'Stack.strict_validate', need)
        self.assertInternal(hasattr(stk, 'parent_resource_name'),
                            'Stack.parent_resource_name', need)
        self.assertInternal(all(hasattr(p, 'has_value') for p in
                                stk.parameters.params.values()),
                            'Parameter.has_value', need)

    # 3. The stored stack -----------------------------------------------

    def test_new_stack_of_an_update_names_the_stack_it_updates(self):
        need = 'existing_stack_id'
        self.assertInternal(
            hot_parameters.HOTParameters.PARAM_STACK_ID == 'OS::stack_id',
            'the OS::stack_id pseudo parameter', need)
        self.assertInSource('PARAM_STACK_ID', hot_parameters.HOTParameters.
                            set_stack_id, 'HOTParameters.set_stack_id', need)
        self.assertInSource('PARAM_STACK_ID', parameters.Parameters.
                            set_stack_id, 'Parameters.set_stack_id', need)
        self.assertInternal(
            callable(getattr(identifier.HeatIdentifier, 'from_arn', None)),
            'HeatIdentifier.from_arn', need)

    def test_db_objects_of_the_stored_resources(self):
        need = 'stored_resources, siblings, stored_data'
        self.assertInternal(callable(getattr(
            resource_objects.Resource, 'get_all_active_by_stack', None)),
            'heat.objects.resource.Resource.get_all_active_by_stack', need)
        row = resource_objects.Resource
        for field in ('id', 'name', 'status', 'physical_resource_id', 'data',
                      'created_at', 'updated_at'):
            self.assertInternal(field in row.fields,
                                'heat.objects.resource.Resource.%s' % field,
                                need)
        self.assertInternal(
            isinstance(getattr(row, 'properties_data', None), property),
            'heat.objects.resource.Resource.properties_data', need)

    def test_update_validation_knows_the_stack_it_updates(self):
        stk = self.create(self.parse_stack(copy.deepcopy(
            base.FUNCTION_ONLY)))
        updated = self.as_update_of(stk, self.parse_stack(copy.deepcopy(
            base.FUNCTION_ONLY)))
        self.assertIsNone(updated.id)
        self.assertEqual(stk.id, heat_internals.existing_stack_id(updated))
        self.assertFalse(heat_internals.is_new_stack(updated))
        self.assertFalse(heat_internals.is_new_stack(stk))
        self.assertEqual(stk['fn'].resource_id,
                         heat_internals.stored_physical_id(updated, 'fn'))
        self.assertEqual('hello_world.main', heat_internals.stored_properties(
            updated, 'fn')['entry'])

    def test_a_new_stack_has_none(self):
        new = self.parse_stack(copy.deepcopy(base.FUNCTION_ONLY))
        self.assertIsNone(heat_internals.existing_stack_id(new))
        self.assertTrue(heat_internals.is_new_stack(new))
        self.assertEqual({}, heat_internals.stored_resources(new))

    # 4. node_reference_id ----------------------------------------------

    def test_stack_definition_holds_the_nodes_reference_ids(self):
        need = 'node_reference_id'
        definition = stk_defn.StackDefinition
        self.assertInternal(hasattr(definition, '__contains__') and
                            hasattr(definition, '__getitem__'),
                            'StackDefinition[name]', need)
        for attr in ('action', 'INIT', 'FnGetRefId'):
            self.assertInternal(hasattr(stk_defn.ResourceProxy, attr),
                                'ResourceProxy.%s' % attr, need)
        stk = self.create(self.parse_stack(copy.deepcopy(
            base.FUNCTION_ONLY)))
        self.assertInternal(isinstance(getattr(stk, 'defn', None),
                                       definition), 'Stack.defn', need)
        self.assertEqual(stk['fn'].resource_id,
                         heat_internals.node_reference_id(stk, 'fn'))
        self.assertIsNone(heat_internals.node_reference_id(stk, 'none'))

    # 5. register_admin_only_type ---------------------------------------

    def test_policy_defaults_of_resource_types(self):
        need = 'register_admin_only_type'
        self.assertInternal(isinstance(getattr(
            resource_types_policies, 'resource_types_policies', None), list),
            'heat.policies.resource_types.resource_types_policies', need)
        self.assertInternal(
            getattr(resource_types_policies, 'POLICY_ROOT', None) ==
            'resource_types:%s',
            'heat.policies.resource_types.POLICY_ROOT', need)
        self.assertInternal(
            getattr(policies_base, 'RULE_PROJECT_ADMIN', None) ==
            'rule:project_admin',
            'heat.policies.base.RULE_PROJECT_ADMIN', need)
        self.assertIn('resource_types:OS::Qinling::Runtime',
                      [rule.name for rule in
                       resource_types_policies.resource_types_policies])

    # 6. delete_orphan_alarms -------------------------------------------

    def test_alarms_are_named_after_their_stack(self):
        # Heat names the alarms it makes "<stack>-<resource>-<suffix>".
        self.assertInSource('self.stack.name',
                            resource.Resource.physical_resource_name,
                            'Resource.physical_resource_name',
                            'delete_orphan_alarms')
