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

"""What heat-qinling relies on in Heat's engine beyond the resource API.

Written against openstack-heat 27.0; ``tests/unit/test_heat_internals.py``
fails when Heat changes any of it. Two needs:

* **A failed resource observes reality in its next update.** A resource that
  Heat keeps after a failed update (``needs_replace_failed()`` returns False)
  is updated from the properties of its last good update; but the failure
  may have changed the object half-way (a job paused but not resumed, a
  webhook bound to a function on its way to an alias, a PUT whose answer
  was lost when heat-engine died). Heat compares with the live object only
  when the update "converges" (``stack update --converge`` or
  ``[DEFAULT] observe_on_update``): ``Resource._prepare_update_props`` reads
  ``self.converge``. ``ObservedWhenFailed`` makes a FAILED resource converge.
  The change to propose to Heat: in ``_prepare_update_props``, observe the
  live state also when ``self.status == FAILED`` and
  ``needs_replace_failed()`` is False (the same decision Heat makes a few
  lines later, in ``_needs_update``).
* **The stored resources of the stack being updated, while Heat validates
  the new template, and the other rows of a resource Heat replaces.**
  ``stack update`` validates a new Stack object built from the new template
  only; it knows the existing stack through the ``OS::stack_id`` pseudo
  parameter, which Heat sets to the existing stack's ID (an ARN in a CFN
  template; ``Parameters.set_stack_id``). The physical IDs, stored
  properties and resource data are in Heat's database
  (``heat.objects.resource``). With them, validation can check a value
  against the objects the stack already has (a version of the stack's own
  function, an alias it already holds), and the replacement of a resource
  whose create was interrupted can find what that create made (Heat
  replaces it, with ``observe_on_update``, before asking the plugin). The
  changes to propose to Heat: give ``Resource.validate()`` of an update
  access to the resource it will update (``self.stack.prev_stack`` or
  similar), and ask ``needs_replace_failed()`` before replacing a resource
  that has no ID.
"""
from heat.common import identifier
from heat.engine import resource as heat_resource
from heat.objects import resource as resource_objects


class ObservedWhenFailed(object):
    """Mixin for a Resource: a FAILED resource's update starts from reality.

    Heat reads ``converge`` in ``Resource._prepare_update_props``, before it
    decides to update or replace: when true, the stored properties are
    overwritten with what ``get_live_state()`` (``parse_live_resource_data``)
    reads, so the update sends whatever differs from the live object.
    """

    @property
    def converge(self):
        # Without an ID, Heat would replace the resource before asking
        # needs_replace_failed(), which takes back what an interrupted
        # create made.
        if self.status == self.FAILED and self.resource_id is not None:
            return True
        return self._converge_asked

    @converge.setter
    def converge(self, value):
        # Heat sets it (False in Resource.__init__, True for --converge).
        self._converge_asked = value


def existing_stack_id(stack):
    """The ID of the stored stack that ``stack`` is, or will update.

    A stack loaded from the database has its ID; the new stack that an
    update validates has none, but its ``OS::stack_id`` (``AWS::StackId``)
    is the stack it updates. None while a new stack is validated.
    """
    if stack.id is not None:
        return stack.id
    params = stack.parameters.params
    param = params.get('OS::stack_id') or params.get('AWS::StackId')
    value = param.value() if param is not None else None
    if not value or value == 'None':
        return None
    if value.startswith('arn:'):
        try:
            return identifier.HeatIdentifier.from_arn(value).stack_id
        except Exception:
            return None
    return value


def stored_resources(stack):
    """{name: heat.objects.resource.Resource} of the stored stack, or {}.

    For each name, the row the stack uses now: a replacement that failed
    leaves two rows, and the one that is not FAILED (else the newest) is
    the resource Heat updates next.
    """
    stack_id = existing_stack_id(stack)
    if stack_id is None:
        return {}
    rows = {}
    for row in resource_objects.Resource.get_all_active_by_stack(
            stack.context, stack_id).values():
        best = rows.get(row.name)
        if best is None or _rank(row) > _rank(best):
            rows[row.name] = row
    return rows


def _rank(row):
    changed = row.updated_at or row.created_at
    return (row.status != heat_resource.Resource.FAILED,
            row.physical_resource_id is not None, changed)


def siblings(rsrc):
    """The other stored rows of ``rsrc``'s stack that have its name.

    The resource it replaces, or its replacement: an interrupted create or
    replacement leaves two.
    """
    stack_id = existing_stack_id(rsrc.stack)
    if stack_id is None:
        return []
    return [row for row in resource_objects.Resource.get_all_active_by_stack(
            rsrc.context, stack_id).values()
            if row.name == rsrc.name and row.id != rsrc.id]


def stored_data(row, key):
    """A value of a stored row's resource data, or None."""
    for item in row.data or []:
        if item.key == key:
            return item.value
    return None


def stored_physical_id(stack, name):
    """The physical ID Heat stored for resource ``name`` of ``stack``."""
    row = stored_resources(stack).get(name)
    return getattr(row, 'physical_resource_id', None)


def stored_properties(stack, name):
    """The properties of resource ``name`` at its last good action."""
    row = stored_resources(stack).get(name)
    return dict(row.properties_data or {}) if row is not None else {}
