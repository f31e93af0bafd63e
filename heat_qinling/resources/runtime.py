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

"""OS::Qinling::Runtime."""
from oslo_policy import policy

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from heat.policies import base as policies_base
from heat.policies import resource_types as resource_types_policies

from heat_qinling.resources import validation

RESOURCE_TYPE = 'OS::Qinling::Runtime'


def _register_policy_default():
    """Make OS::Qinling::Runtime admin-only in Heat's policy defaults.

    The rule is "resource_types:OS::Qinling::Runtime: rule:project_admin",
    as Heat has for OS::Nova::Flavor.

    Heat checks resource types only against registered rules (a rule found
    only in an operator's policy file is ignored), and registers its
    defaults when heat-engine starts, after it has loaded the plugins.
    """
    rules = resource_types_policies.resource_types_policies
    name = resource_types_policies.POLICY_ROOT % RESOURCE_TYPE
    if all(rule.name != name for rule in rules):
        rules.append(policy.RuleDefault(
            name=name, check_str=policies_base.RULE_PROJECT_ADMIN,
            scope_types=['project'],
            description='Use %s in stacks.' % RESOURCE_TYPE))


_register_policy_default()


class QinlingRuntime(validation.ValuesValidatedEarly, resource.Resource):
    """A Qinling runtime: the container image that runs functions' code.

    Admin only. Qinling allows only admins to create, change or delete
    runtimes, and the plugin registers the Heat policy default that refuses
    the type to other users, as Heat does for ``OS::Nova::Flavor``. An
    operator may override it in Heat's policy file, e.g.::

      "resource_types:OS::Qinling::Runtime": "role:admin"

    Creating a runtime and changing its ``image`` complete once Qinling
    reports the runtime ``available``; a runtime that goes to ``error``, or
    an image Qinling rolls back, fails the resource. ``name``,
    ``description`` and ``image`` change in place; ``is_public`` and
    ``trusted`` replace the runtime. Qinling 5.0.0 cannot change the image
    of a runtime that has functions, and cannot delete such a runtime: both
    fail naming the functions the caller can see.
    """

    support_status = support.SupportStatus(version='1.0.0')

    default_client_name = 'qinling'

    entity = 'runtimes'

    PROPERTIES = (
        NAME, DESCRIPTION, IMAGE, IS_PUBLIC, TRUSTED,
    ) = (
        'name', 'description', 'image', 'is_public', 'trusted',
    )

    ATTRIBUTES = (
        STATUS_ATTR, NAME_ATTR, IMAGE_ATTR, IS_PUBLIC_ATTR, TRUSTED_ATTR,
        PROJECT_ID_ATTR,
    ) = (
        'status', 'name', 'image', 'is_public', 'trusted', 'project_id',
    )

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the runtime, which functions may use instead of its '
              'ID. Defaults to a name Heat generates.'),
            update_allowed=True,
            constraints=[constraints.Length(max=255)],
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the runtime.'),
            update_allowed=True,
            default='',
            constraints=[constraints.Length(max=255)],
        ),
        IMAGE: properties.Schema(
            properties.Schema.STRING,
            _('Container image of the runtime, e.g. '
              '"openstackqinling/python3-runtime". Changes in place, only '
              'while no function uses the runtime.'),
            required=True,
            update_allowed=True,
            constraints=[constraints.Length(min=1, max=255)],
        ),
        IS_PUBLIC: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether every project may use the runtime (otherwise only '
              'the owning project). Changing it replaces the runtime.'),
            default=True,
        ),
        TRUSTED: properties.Schema(
            properties.Schema.BOOLEAN,
            _('False runs functions in Qinling\'s sandboxed (untrusted) '
              'workload type. Changing it replaces the runtime.'),
            default=True,
        ),
    }

    attributes_schema = {
        STATUS_ATTR: attributes.Schema(
            _('Status: creating, available, upgrading, error or deleting.'),
            type=attributes.Schema.STRING,
            cache_mode=attributes.Schema.CACHE_NONE),
        NAME_ATTR: attributes.Schema(
            _('Name of the runtime.'), type=attributes.Schema.STRING),
        IMAGE_ATTR: attributes.Schema(
            _('Container image of the runtime.'),
            type=attributes.Schema.STRING),
        IS_PUBLIC_ATTR: attributes.Schema(
            _('Whether every project may use the runtime.'),
            type=attributes.Schema.BOOLEAN),
        TRUSTED_ATTR: attributes.Schema(
            _('Whether functions run in the trusted workload type.'),
            type=attributes.Schema.BOOLEAN),
        PROJECT_ID_ATTR: attributes.Schema(
            _('ID of the project that owns the runtime.'),
            type=attributes.Schema.STRING),
    }

    def _name(self, props):
        return props[self.NAME] or self.physical_resource_name()

    def handle_create(self):
        props = self.properties
        runtime = self.client().runtimes.create(
            image=props[self.IMAGE], name=self._name(props),
            description=props[self.DESCRIPTION] or None,
            is_public=props[self.IS_PUBLIC], trusted=props[self.TRUSTED])
        self.resource_id_set(runtime.id)
        return runtime.id

    def _available(self, image):
        runtime = self.client().runtimes.get(self.resource_id)
        if runtime.status == 'error':
            # Not ResourceInError: Heat would retry the create, and the
            # same image fails the same way.
            raise exception.Error(
                _('Runtime %(id)s went to status error: Qinling could not '
                  'set up image %(image)s; see the qinling-engine log.') % {
                    'id': runtime.id, 'image': runtime.image})
        if runtime.status != 'available':
            return False
        if runtime.image != image:
            # Qinling's engine puts the previous image back when the new
            # one fails, and reports the runtime available again.
            raise exception.Error(
                _('Qinling could not switch runtime %(id)s to image '
                  '%(new)s and kept %(old)s; see the qinling-engine log.') % {
                    'id': runtime.id, 'new': image, 'old': runtime.image})
        return True

    def check_create_complete(self, runtime_id):
        return self._available(self.properties[self.IMAGE])

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return None
        after = json_snippet.properties(self.properties_schema, self.context)
        fields = {}
        if self.NAME in prop_diff:
            fields['name'] = self._name(after)
        if self.DESCRIPTION in prop_diff:
            fields['description'] = after[self.DESCRIPTION]
        if self.IMAGE in prop_diff:
            fields['image'] = after[self.IMAGE]
        self.client_plugin().update_runtime(self.resource_id, **fields)
        return fields.get('image')

    def check_update_complete(self, image):
        if image is None:
            return True
        return self._available(image)

    def handle_delete(self):
        if self.resource_id is None:
            return None
        with self.client_plugin().ignore_not_found:
            self.client_plugin().delete_runtime(self.resource_id)
            return self.resource_id
        return None

    def check_delete_complete(self, runtime_id):
        if runtime_id is None:
            return True
        with self.client_plugin().ignore_not_found:
            self.client().runtimes.get(runtime_id)
            return False
        return True

    def handle_check(self):
        runtime = self.client().runtimes.get(self.resource_id)
        if runtime.status != 'available':
            raise exception.Error(
                _('Runtime %(id)s is "%(status)s", not "available": '
                  'functions on it cannot run.') % {
                    'id': runtime.id, 'status': runtime.status})

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        return getattr(self.client().runtimes.get(self.resource_id), name,
                       None)

    def parse_live_resource_data(self, resource_properties, resource_data):
        live = {
            self.DESCRIPTION: resource_data.get('description') or '',
            self.IMAGE: resource_data.get('image'),
            self.IS_PUBLIC: resource_data.get('is_public'),
            self.TRUSTED: resource_data.get('trusted'),
        }
        if resource_properties.get(self.NAME) is not None:
            live[self.NAME] = resource_data.get('name')
        return live


def resource_mapping():
    return {RESOURCE_TYPE: QinlingRuntime}
