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

"""What a resource runs: a function, a version of it, or an alias.

The one place for it: ``FunctionVersionReference`` is the mixin of a
resource that names a function (and a version of it): Version, Alias,
Webhook, Job; it translates the function's name into its ID.
``FunctionTarget`` is the mixin of one that runs a function, a version or
an alias (Webhook, Job): ``target_schema`` gives its three properties, and
``validate_target`` the "exactly one" check. Both check their values in
template validation, by function name as by ID, including against the
functions and versions the stack itself makes.
"""
from heat.common import exception
from heat.common.i18n import _
from heat.engine import constraints
from heat.engine import function as heat_function
from heat.engine import properties
from heat.engine import translation

from heat_qinling import exceptions as qinling_errors
from heat_qinling.resources import heat_internals
from heat_qinling.resources import validation

FUNCTION_TYPE = 'OS::Qinling::Function'
VERSION_TYPE = 'OS::Qinling::Version'


# The properties of a resource that runs a function, a version or an alias.
TARGET_PROPERTIES = (FUNCTION, FUNCTION_VERSION, FUNCTION_ALIAS) = (
    'function', 'function_version', 'function_alias')


def target_schema(function, function_version, function_alias,
                  update_allowed):
    """The schemas of FUNCTION, FUNCTION_VERSION and FUNCTION_ALIAS.

    The descriptions are the resource's (what a change does differs); the
    types, default and constraints are the same for every resource.
    """
    return {
        FUNCTION: properties.Schema(
            properties.Schema.STRING, function,
            update_allowed=update_allowed,
            constraints=[constraints.CustomConstraint('qinling.function')],
        ),
        FUNCTION_VERSION: properties.Schema(
            properties.Schema.INTEGER, function_version,
            update_allowed=update_allowed,
            default=0,
            constraints=[constraints.Range(
                min=0,
                description=_('The version must be an integer of at least 0 '
                              '(0 runs the latest code).'))],
        ),
        FUNCTION_ALIAS: properties.Schema(
            properties.Schema.STRING, function_alias,
            update_allowed=update_allowed,
            constraints=validation.text_constraints(_('alias name')) + [
                constraints.CustomConstraint('qinling.alias')],
        ),
    }


class FunctionVersionReference(object):
    """Mixin: the resource's FUNCTION and FUNCTION_VERSION properties."""

    @property
    def resolved_properties(self):
        return (self.FUNCTION,)

    def translation_rules(self, props):
        return [
            translation.TranslationRule(
                props,
                translation.TranslationRule.RESOLVE,
                [self.FUNCTION],
                client_plugin=self.client_plugin(),
                finder='resolve_function_id'),
        ]

    def function_made_by_stack(self):
        """Name of the resource of this stack that "function" refers to."""
        snippet = self.t.properties(self.properties_schema,
                                    self.context).data.get(self.FUNCTION)
        for dep in heat_function.dependencies(snippet):
            # A proxy of the definition: the stack's resource says what
            # type it is (has_interface follows the environment's mapping).
            rsrc = self.stack.resources.get(dep.name)
            if rsrc is not None and rsrc.has_interface(FUNCTION_TYPE):
                return rsrc.name
        return None

    def versions_published_of(self, function_name):
        """The stack's OS::Qinling::Version resources of that function."""
        return [r for r in self.stack.resources.values()
                if r.has_interface(VERSION_TYPE) and
                function_name in r.t.required_resource_names()]

    def version_error(self, message):
        return self.property_error(self.FUNCTION_VERSION, message)

    def check_version_exists(self, function_id, version):
        """Before a write: raise naming function_version if it is missing."""
        try:
            self.client_plugin().check_version_exists(function_id, version)
        except qinling_errors.VersionError as ex:
            raise self.version_error(str(ex))

    def validate_function_version(self):
        """The version exists, or a Version resource of the stack may make it.

        For a function of this stack, the numbers this update can publish
        are the function's next ones, one per OS::Qinling::Version of it in
        the template (a new function's first ones); any other number must
        exist already.
        """
        version = self.properties[self.FUNCTION_VERSION]
        if not version:
            # Any function has its latest code; the function itself is
            # checked by its property's constraint.
            return
        made_here = self.function_made_by_stack()
        if made_here is None:
            value = self.properties[self.FUNCTION]
            if value not in (None, ''):
                self.check_version_exists(
                    self.client_plugin().get_function_id(value), version)
            return
        function_id = heat_internals.stored_physical_id(self.stack, made_here)
        publishable = len(self.versions_published_of(made_here))
        numbers, latest = [], 0
        if function_id is not None:
            try:
                function = self.client().functions.get(function_id)
            except Exception as ex:
                if not self.client_plugin().is_not_found(ex):
                    raise
            else:
                latest = function.latest_version or 0
                numbers = [v.version_number for v in
                           self.client_plugin().list_versions(function_id)]
        if (version in numbers or version <= publishable or
                latest < version <= latest + publishable):
            return
        raise self.version_error(str(qinling_errors.VersionMissing(
            function=function_id or made_here, version=version,
            numbers=', '.join(str(n) for n in numbers) or _('none'))))


class FunctionTarget(FunctionVersionReference):
    """Mixin: FUNCTION (and FUNCTION_VERSION), or FUNCTION_ALIAS."""

    def by_alias(self, props=None):
        props = self.properties if props is None else props
        return bool(props[self.FUNCTION_ALIAS])

    def validate_target(self):
        by_alias = self.given(self.FUNCTION_ALIAS)
        if self.given(self.FUNCTION) == by_alias:
            raise exception.StackValidationFailed(
                resource=self,
                message=_('Give exactly one of "function" (with an optional '
                          '"function_version") or "function_alias": what '
                          'the %s runs.') % self.object_kind)
        if by_alias:
            if self.properties[self.FUNCTION_VERSION]:
                raise self.version_error(
                    _('"function_version" is only used with "function": '
                      'the alias decides the version. Remove it, or move '
                      'the alias.'))
            return
        self.validate_function_version()
