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

"""Property values checked by ``template validate`` too.

Heat's template validation (``openstack orchestration template validate``)
checks only the structure of the properties, not their values: it may run
before the caller has given the parameters. So a cpu of 9999, an entry naming
a missing module or an unknown runtime would pass it and fail only at create.
When every parameter has a value (a default, or one given with
``--parameter``), nothing is unknown, and the resources here check the values
as well, reading Qinling at most (never writing): ``validate_values()``.
"""
from heat.common import exception
from heat.common.i18n import _
from heat.engine import constraints
from heat.engine import function
from heat.engine import rsrc_defn

from heat_qinling.resources import heat_internals

# Qinling stores names and descriptions in VARCHAR(255) columns: a real
# database rejects (or truncates) longer values, sqlite silently keeps them.
TEXT_MAX = 255


def text_constraints(what, max_len=TEXT_MAX, required=False):
    """Constraints of a text value as Qinling can store it.

    A name, a description, an image, a pattern: at most ``max_len``
    characters (and at least one if ``required``), on one line. The one
    style of text constraint of every resource here.
    """
    if required:
        length = constraints.Length(
            min=1, max=max_len,
            description=_('The %(what)s must be 1 to %(max)d characters '
                          '(Qinling stores it in a column of that width).') %
            {'what': what, 'max': max_len})
    else:
        length = constraints.Length(
            max=max_len,
            description=_('The %(what)s must be at most %(max)d characters '
                          '(Qinling stores it in a column of that width); '
                          'shorten it.') % {'what': what, 'max': max_len})
    return [
        length,
        constraints.AllowedPattern(
            '[^\x00-\x1f\x7f]*',
            description=_('The %s must not contain control characters '
                          '(newlines, tabs, escapes); write it on one line '
                          'of printable text.') % what),
    ]


class ValuesValidatedEarly(heat_internals.ValuesInTemplateValidate):
    """Mixin for a Resource: run its value checks in template validation.

    ``validate_values()`` runs in the stack's validation (create, update,
    preview) and in ``template validate`` when every parameter has a value
    (that part reaches into Heat: ``heat_internals``).
    """

    def validate_values(self):
        """Resource-specific checks of the property values."""

    def given(self, prop):
        """Whether prop has a value, or one that is not known yet.

        In validation, a get_attr of a resource this stack has not created
        yet resolves to None; a property set to null (e.g. by an "if")
        reaches the resource as None or ''.
        """
        if self.properties[prop] not in (None, ''):
            return True
        snippet = self.t.properties(self.properties_schema,
                                    self.context).data.get(prop)
        return any(rsrc.action == rsrc.INIT
                   for rsrc in function.dependencies(snippet))

    def property_error(self, prop, message):
        return exception.StackValidationFailed(
            error='Property error',
            path=[self.stack.t.RESOURCES, self.name,
                  self.stack.t.get_section_name(rsrc_defn.PROPERTIES), prop],
            message=message)

    def validate(self):
        super(ValuesValidatedEarly, self).validate()
        self.validate_values()
