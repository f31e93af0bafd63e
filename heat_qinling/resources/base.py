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

"""The base class of the OS::Qinling::* resources."""
from oslo_utils import uuidutils

from heat.common import exception
from heat.common.i18n import _
from heat.engine import resource

from heat_qinling.resources import heat_internals
from heat_qinling.resources import recovery
from heat_qinling.resources import validation


class QinlingResource(recovery.Recoverable,
                      heat_internals.ObservedWhenFailed,
                      validation.ValuesValidatedEarly,
                      resource.Resource):
    """A Heat resource whose object lives in Qinling.

    What every type shares: its values are checked by ``template validate``
    too (``validation``); an interrupted create, an object deleted outside
    Heat and a failed update are recovered from (``recovery``), the last by
    updating the object in place unless it is gone or broken.
    """

    default_client_name = 'qinling'

    # A failed check (the object or what it runs is gone, its runtime not
    # available) is recovered from as a failed update is: the next update
    # replaces the resource only if its own object is gone or broken.
    always_replace_on_check_failed = False

    # Properties that a translation rule turns from a name into an ID.
    resolved_properties = ()

    def needs_replace_with_prop_diff(self, changed_properties_set,
                                     after_props, before_props):
        self.refuse_unresolved(changed_properties_set, after_props)
        return False

    def refuse_unresolved(self, changed_properties_set, after_props):
        """Fail, changing nothing, where a name was not turned into an ID.

        When Qinling does not answer, the finders keep a name as given, so
        that an update that changes nothing in Qinling completes meanwhile.
        But heat-engine compares it with the ID it stored: the name looks
        like a new value, and one that cannot change in place (a function's
        runtime) would replace the object. Whether it changes is unknown
        until Qinling answers; the next update, or a rollback, then decides.
        """
        for prop in sorted(set(self.resolved_properties) &
                           set(changed_properties_set)):
            value = after_props[prop]
            if value and not uuidutils.is_uuid_like(value):
                # A ResourceFailure, as recovery.needs_replace_failed raises:
                # Heat also diffs properties outside its error handling (for
                # a resource with restricted actions).
                raise exception.ResourceFailure(exception.Error(_(
                    'Qinling did not answer when %(prop)s "%(value)s" was '
                    'looked up, so whether this update changes %(prop)s of '
                    '%(kind)s %(id)s is unknown. Nothing was changed: update '
                    'the stack again once Qinling answers.') % {
                        'prop': prop, 'value': value,
                        'kind': self.object_kind, 'id': self.resource_id}),
                    self, self.UPDATE)
