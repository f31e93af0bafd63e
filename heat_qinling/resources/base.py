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
