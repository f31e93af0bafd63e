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
from heat.engine import support

from heat_qinling import exceptions as qinling_errors
from heat_qinling.resources import base
from heat_qinling.resources import heat_internals
from heat_qinling.resources import target
from heat_qinling.resources import validation

ALIAS_TYPE = 'OS::Qinling::Alias'


class QinlingAlias(target.FunctionVersionReference, base.QinlingResource):
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

    entity = 'function_aliases'

    object_kind = _('Qinling alias')

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
                # Clients drop the path segments "." and ".." from a URL:
                # Qinling would make such an alias, then never find it
                # again to delete it.
                constraints.AllowedPattern(
                    r'^(?!\.\.?$).*$',
                    description=_('An alias name cannot be "." or "..": '
                                  'URLs cannot carry it. Add a letter or '
                                  'digit.')),
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
            constraints=validation.text_constraints(_('alias description')),
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

    def _name(self, props=None):
        props = self.properties if props is None else props
        return props[self.NAME] or self.physical_resource_name()

    def _stack_aliases(self):
        """Names of the aliases the stack being updated holds already.

        They may move in the same update, so validation does not count
        the targets they hold now.
        """
        stored = heat_internals.stored_resources(self.stack)
        names = [name for name, rsrc in self.stack.resources.items()
                 if rsrc.has_interface(ALIAS_TYPE)]
        return [stored[name].physical_resource_id for name in names
                if name in stored]

    def _check_target(self, function_id, version, alias_name=None,
                      new_name=None, ignore=()):
        """Refuse a missing or taken version, and a taken name."""
        plugin = self.client_plugin()
        self.check_version_exists(function_id, version)
        aliases = self.client().function_aliases.list()
        try:
            plugin.check_alias_free(function_id, version, alias_name,
                                    ignore=ignore, aliases=aliases)
        except qinling_errors.VersionError as ex:
            raise self.version_error(str(ex))
        if new_name is not None and new_name not in ignore:
            taken = [a for a in aliases if a.name == new_name]
            if taken:
                raise self.property_error(
                    self.NAME,
                    _('Alias %(name)s already exists (it points at version '
                      '%(version)s of function %(function)s); alias names '
                      'are unique in a project. Choose another name, or '
                      'leave "name" out for one Heat generates.') % {
                        'name': new_name, 'function': taken[0].function_id,
                        'version': taken[0].function_version or 0})

    def validate_values(self):
        self.validate_function_version()
        made_here = self.function_made_by_stack()
        if made_here is not None:
            function_id = heat_internals.stored_physical_id(
                self.stack, made_here)
        elif self.properties[self.FUNCTION]:
            function_id = self.client_plugin().get_function_id(
                self.properties[self.FUNCTION])
        else:
            function_id = None
        ignore = self._stack_aliases()
        aliases = self.client().function_aliases.list()
        if function_id is not None:
            try:
                self.client_plugin().check_alias_free(
                    function_id, self.properties[self.FUNCTION_VERSION],
                    ignore=ignore, aliases=aliases)
            except qinling_errors.VersionError as ex:
                raise self.version_error(str(ex))
        name = self.properties[self.NAME]
        if name and name not in ignore and any(a.name == name
                                               for a in aliases):
            raise self.property_error(
                self.NAME,
                _('Alias %s already exists; alias names are unique in a '
                  'project. Choose another name, or leave "name" out for '
                  'one Heat generates.') % name)

    def handle_create(self):
        name = self._name()
        function_id = self.properties[self.FUNCTION]
        version = self.properties[self.FUNCTION_VERSION]
        self._check_target(function_id, version, new_name=name)
        # Alias names are unique in a project, and this one was free.
        self.create_sending({'name': name, 'function_id': function_id})
        try:
            self.client().function_aliases.create(
                name, function_id, function_version=version,
                description=self.properties[self.DESCRIPTION])
        except Exception as ex:
            self.create_rejected(ex)
            raise
        self.resource_id_set(name)

    def find_created(self, marker):
        with self.client_plugin().ignore_not_found:
            alias = self.client_plugin().get_alias(marker['name'])
            if alias.function_id == marker['function_id']:
                return alias.name
        return None

    def show_object(self, object_id):
        return self.client_plugin().get_alias(object_id)

    def _show_resource(self):
        return self.show_object(self.resource_id).to_dict()

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        after = json_snippet.properties(self.properties_schema,
                                        self.context)
        if (self.FUNCTION in prop_diff or
                self.FUNCTION_VERSION in prop_diff):
            self._check_target(after[self.FUNCTION],
                               after[self.FUNCTION_VERSION],
                               alias_name=self.resource_id)
        try:
            self.client().function_aliases.update(
                self.resource_id, function_id=after[self.FUNCTION],
                function_version=after[self.FUNCTION_VERSION],
                description=after[self.DESCRIPTION])
        except Exception as ex:
            self.replace_if_gone(ex)
            raise

    def handle_delete(self):
        if self.recover_resource_id() is None:
            return
        with self.client_plugin().ignore_not_found:
            self.client_plugin().delete_alias(self.resource_id)

    def check_object(self, alias):
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
    return {ALIAS_TYPE: QinlingAlias}
