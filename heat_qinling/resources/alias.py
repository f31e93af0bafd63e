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

"""OS::Qinling::Alias."""
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from heat.engine import translation

from heat_qinling import client as qinling_client
from heat_qinling.resources import validation


class QinlingAlias(validation.ValuesValidatedEarly, resource.Resource):
    """A named pointer to a version of a Qinling function.

    Webhooks and jobs that run an alias follow it when it moves: point the
    alias at another version (an in-place update) to promote or roll back
    code, and webhook URLs stay the same. ``function_version: 0`` follows
    the function's latest code.

    Alias names are unique in a project (not per function): by default Heat
    generates one. Qinling also allows only one alias per function version,
    and does not check that the version exists: this resource checks both
    before it writes anything, and refuses to delete an alias that webhooks
    or jobs still run (Qinling would delete it, breaking them).
    """

    support_status = support.SupportStatus(version='1.0.0')

    default_client_name = 'qinling'

    entity = 'function_aliases'

    PROPERTIES = (
        NAME, FUNCTION, FUNCTION_VERSION, DESCRIPTION,
    ) = (
        'name', 'function', 'function_version', 'description',
    )

    ATTRIBUTES = (
        NAME_ATTR, ALIAS_ID, FUNCTION_ID, FUNCTION_VERSION_ATTR,
        DESCRIPTION_ATTR,
    ) = (
        'name', 'alias_id', 'function_id', 'function_version',
        'description',
    )

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the alias, unique in the project. Defaults to a '
              'name Heat generates. Changing it replaces the alias.'),
            constraints=[
                constraints.Length(min=1, max=255),
                # The name is a path segment of Qinling's URLs.
                constraints.AllowedPattern(
                    '^[A-Za-z0-9._~-]+$',
                    description=_('An alias name is made of letters, '
                                  'digits and . _ ~ - (it is part of '
                                  'URLs).')),
            ],
        ),
        FUNCTION: properties.Schema(
            properties.Schema.STRING,
            _('Name or ID of the Qinling function.'),
            required=True,
            update_allowed=True,
            constraints=[constraints.CustomConstraint('qinling.function')],
        ),
        FUNCTION_VERSION: properties.Schema(
            properties.Schema.INTEGER,
            _('Version the alias points at, e.g. {get_attr: [<version>, '
              'version_number]}; 0 follows the latest code.'),
            update_allowed=True,
            default=0,
            constraints=[constraints.Range(
                min=0,
                description=_('The version must be an integer of at least '
                              '0 (0 follows the latest code).'))],
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the alias.'),
            update_allowed=True,
            default='',
            constraints=[constraints.Length(max=255)],
        ),
    }

    attributes_schema = {
        NAME_ATTR: attributes.Schema(
            _('Name of the alias, for webhooks, jobs and executions.'),
            type=attributes.Schema.STRING),
        ALIAS_ID: attributes.Schema(
            _('Qinling\'s ID of the alias.'),
            type=attributes.Schema.STRING),
        FUNCTION_ID: attributes.Schema(
            _('ID of the function the alias points at.'),
            type=attributes.Schema.STRING,
            cache_mode=attributes.Schema.CACHE_NONE),
        FUNCTION_VERSION_ATTR: attributes.Schema(
            _('Version the alias points at (0: the latest code).'),
            type=attributes.Schema.INTEGER,
            cache_mode=attributes.Schema.CACHE_NONE),
        DESCRIPTION_ATTR: attributes.Schema(
            _('Description of the alias.'),
            type=attributes.Schema.STRING),
    }

    def translation_rules(self, props):
        return [
            translation.TranslationRule(
                props,
                translation.TranslationRule.RESOLVE,
                [self.FUNCTION],
                client_plugin=self.client_plugin(),
                finder='get_function_id'),
        ]

    def _name(self, props=None):
        props = self.properties if props is None else props
        return props[self.NAME] or self.physical_resource_name()

    def _check_target(self, props, alias_name=None):
        plugin = self.client_plugin()
        function_id = props[self.FUNCTION]
        version = props[self.FUNCTION_VERSION]
        try:
            plugin.check_version_exists(function_id, version)
            plugin.check_alias_free(function_id, version, alias_name)
        except qinling_client.VersionError as ex:
            raise self.property_error(self.FUNCTION_VERSION, str(ex))

    def validate_values(self):
        function_id = self.properties[self.FUNCTION]
        version = self.properties[self.FUNCTION_VERSION]
        if not function_id:
            return
        # A function of this stack is not known yet; the checks then run
        # just before the write.
        try:
            self.client().functions.get(function_id)
        except Exception as ex:
            if self.client_plugin().is_not_found(ex):
                return
            raise
        plugin = self.client_plugin()
        try:
            plugin.check_version_exists(function_id, version)
            if self._new_stack():
                plugin.check_alias_free(function_id, version,
                                        self.properties[self.NAME])
        except qinling_client.VersionError as ex:
            raise self.property_error(self.FUNCTION_VERSION, str(ex))

    def _new_stack(self):
        """True unless this validates an update of an existing stack.

        In an update, the stack's own aliases hold their targets under
        names that a new validation cannot know.
        """
        # Heat gives an update's new template the existing stack's ID (as
        # an ARN, in OS::stack_id); a stack being created has none yet.
        stack_id = self.stack.parameters.params.get('OS::stack_id')
        return stack_id is None or stack_id.value() in ('', 'None')

    def handle_create(self):
        name = self._name()
        self._check_target(self.properties)
        self.client().function_aliases.create(
            name, self.properties[self.FUNCTION],
            function_version=self.properties[self.FUNCTION_VERSION],
            description=self.properties[self.DESCRIPTION])
        self.resource_id_set(name)

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        after = json_snippet.properties(self.properties_schema,
                                        self.context)
        if (self.FUNCTION in prop_diff or
                self.FUNCTION_VERSION in prop_diff):
            self._check_target(after, alias_name=self.resource_id)
        self.client().function_aliases.update(
            self.resource_id, function_id=after[self.FUNCTION],
            function_version=after[self.FUNCTION_VERSION],
            description=after[self.DESCRIPTION])

    def handle_delete(self):
        if self.resource_id is None:
            return
        with self.client_plugin().ignore_not_found:
            self.client_plugin().delete_alias(self.resource_id)

    def handle_check(self):
        alias = self.client_plugin().get_alias(self.resource_id)
        self.client().functions.get(alias.function_id)
        if alias.function_version:
            self.client_plugin().get_version(alias.function_id,
                                             alias.function_version)

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        alias = self.client_plugin().get_alias(self.resource_id)
        if name == self.ALIAS_ID:
            return alias.id
        return getattr(alias, name, None)

    def parse_live_resource_data(self, resource_properties, resource_data):
        live = {
            self.FUNCTION: resource_data.get('function_id'),
            self.FUNCTION_VERSION: resource_data.get('function_version') or 0,
            self.DESCRIPTION: resource_data.get('description') or '',
        }
        if resource_properties.get(self.NAME) is not None:
            live[self.NAME] = resource_data.get('name')
        return live


def resource_mapping():
    return {'OS::Qinling::Alias': QinlingAlias}
