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

"""Custom constraints of heat-qinling (entry point ``heat.constraints``)."""
from qinlingclient.common import exceptions as qinling_exc

from heat.common import exception
from heat.engine import constraints

CLIENT_NAME = 'qinling'


class RuntimeConstraint(constraints.BaseCustomConstraint):
    """A Qinling runtime, by name or ID."""

    resource_client_name = CLIENT_NAME
    resource_getter_name = 'find_runtime_by_name_or_id'
    expected_exceptions = (exception.EntityNotFound,
                           exception.PhysicalResourceNameAmbiguity)


class FunctionConstraint(constraints.BaseCustomConstraint):
    """A Qinling function, by name or ID."""

    resource_client_name = CLIENT_NAME
    resource_getter_name = 'find_function_by_name_or_id'
    expected_exceptions = (exception.EntityNotFound,
                           exception.PhysicalResourceNameAmbiguity)


class AliasConstraint(constraints.BaseCustomConstraint):
    """A Qinling function alias, by name."""

    resource_client_name = CLIENT_NAME
    resource_getter_name = 'get_alias'
    expected_exceptions = (qinling_exc.HTTPNotFound,)
