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

"""Every use of Heat's engine internals by heat-qinling: the one seam.

A plugin should need only Heat's resource API (``heat.engine.resource``,
``properties``, ``attributes``, ``constraints``, ``translation``, the client
plugins). heat-qinling needs a few things more; each is here, and only here,
with why and the change to Heat that would make it unnecessary (written out
in ``doc/source/heat-changes.rst``). Checked against openstack-heat 27.0.0
and 27.0.1 (``SUPPORTED_HEAT``; setup.cfg's ``heat`` extra states the same
range); ``tests/unit/test_heat_internals.py`` has one test per internal that
fails, naming it, when the installed Heat no longer has it.

The internals, by need:

1. **A failed resource observes reality in its next update**
   (``ObservedWhenFailed``): sets ``Resource.converge``, which
   ``Resource._prepare_update_props`` reads.
2. **Values checked by ``template validate``** (``ValuesInTemplateValidate``):
   overrides ``Resource.validate_template``, which Heat's ``resource.py``
   says plugins should not override; reads ``Stack.strict_validate`` and
   ``Stack.parent_resource_name``.
3. **The stored stack, seen from the new stack an update validates**
   (``existing_stack_id``, ``is_new_stack``, ``stored_resources``,
   ``stored_physical_id``, ``stored_properties``, ``siblings``,
   ``stored_data``): the ``OS::stack_id`` pseudo parameter and Heat's DB
   objects layer (``heat.objects.resource``).
4. **A resource's reference from another resource's point of view under
   convergence** (``node_reference_id``): ``Stack.defn``, for an alarm that
   names a webhook bare in its actions.
5. **An admin-only resource type** (``register_admin_only_type``): appends a
   rule to Heat's list of policy defaults, ``heat.policies.resource_types``.
6. **Alarms that Heat lost** (``delete_orphan_alarms``): OS::Aodh::EventAlarm
   stores nothing before its create, so an alarm created by an engine that
   died before it stored the alarm's ID is left behind; the webhook it calls
   deletes it. Not an internal of Heat's code but of its behaviour (Heat
   names alarms ``<stack>-<resource>-<suffix>``), and a reach into objects
   another resource owns: hence here, with its limits.
"""
from oslo_log import log as logging
from oslo_policy import policy

from heat.common import exception
from heat.common import identifier
from heat.engine import resource as heat_resource
from heat.objects import resource as resource_objects
from heat.policies import base as policies_base
from heat.policies import resource_types as resource_types_policies

LOG = logging.getLogger(__name__)

# The openstack-heat releases every need below was checked against.
SUPPORTED_HEAT = '>=27.0.0,<28.0.0'

# 1. A failed resource observes reality in its next update ----------------


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


# 2. Values checked by ``template validate`` -------------------------------


class ValuesInTemplateValidate(object):
    """Mixin for a Resource: ``template validate`` checks values too.

    Heat's template validation (``openstack orchestration template
    validate``) calls ``Resource.validate_template()``, which checks the
    structure of the properties only: it may run before the caller has given
    the parameters. When every parameter has a value, nothing is unknown,
    and this runs the resource's ``validate_values()`` there too (reading
    Qinling at most, never writing). Heat asks plugins not to override
    ``validate_template``; the change to propose is a hook Heat calls with
    the parameters' values when they are all known.
    """

    def validate_template(self):
        result = super(ValuesInTemplateValidate, self).validate_template()
        # A stack's own validation (create, preview) already checks values.
        if not self.stack.strict_validate and self._parameters_known():
            try:
                self.properties.validate(with_value=True)
            except exception.StackValidationFailed as ex:
                path = [self.stack.t.RESOURCES, self.name]
                if ex.path:
                    path.append(self.stack.t.get_section_name(ex.path[0]))
                    path.extend(ex.path[1:])
                raise exception.StackValidationFailed(
                    error=ex.error, path=path, message=ex.error_message)
            self.validate_values()
        return result

    def _parameters_known(self):
        # A nested stack (a provider template such as a trigger) gets its
        # parameters from the parent's properties, where a reference to a
        # resource not created yet ({get_resource: function}) stands as the
        # resource's name. Its values are checked when it is created.
        if self.stack.parent_resource_name:
            return False
        return all(param.has_value()
                   for param in self.stack.parameters.params.values())


# 3. The stored stack, seen from the new stack an update validates --------
#
# ``stack update`` validates a new Stack object built from the new template
# only; it knows the existing stack through the ``OS::stack_id`` pseudo
# parameter, which Heat sets to the existing stack's ID (an ARN in a CFN
# template; ``Parameters.set_stack_id``). The physical IDs, stored
# properties and resource data are in Heat's database
# (``heat.objects.resource``). With them, validation checks a value against
# the objects the stack already has (a version of the stack's own function,
# an alias it already holds, the name its own function has), and the
# replacement of a resource whose create was interrupted finds what that
# create made (Heat replaces it, with ``observe_on_update``, before asking
# the plugin).


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


def is_new_stack(stack):
    """True while the stack is being created (validated before its create).

    The one answer to "is this a new stack?" for every resource: False for
    a stored stack and for the new stack that an update validates.
    """
    return existing_stack_id(stack) is None


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


# 4. A resource's reference under convergence -----------------------------


def node_reference_id(stack, name):
    """The reference ID of resource ``name`` as the stack's definition has it.

    An alarm that names a webhook bare in its actions resolves it with
    ``stack[name].FnGetAtt('AlarmUrl')``. The convergence engine (Heat's
    default) builds that object from the template, without a resource_id;
    what it knows of the created resource is the node data it passes to the
    resources that depend on it (hence the alarm's ``depends_on``), kept in
    ``Stack.defn``. None when the resource is not created yet (or not in
    the stack). The change to propose: load the resource_id of a resource
    that other resources' actions name, as Heat does for ``get_resource``.
    """
    if name not in stack.defn:
        return None
    proxy = stack.defn[name]
    if proxy.action == proxy.INIT:  # no node data: not created yet
        return None
    return proxy.FnGetRefId()


# 5. An admin-only resource type ------------------------------------------


def register_admin_only_type(type_name):
    """Make ``type_name`` admin-only in Heat's policy defaults.

    The rule is "resource_types:<type>: rule:project_admin", as Heat has for
    OS::Nova::Flavor. Heat checks resource types only against registered
    rules (a rule found only in an operator's policy file is ignored), and
    registers its defaults when heat-engine starts, after it has loaded the
    plugins: so the rule is added to Heat's list when the plugin's resource
    mapping is read. The change to propose: let a resource class declare
    the policy default of its type (e.g. a ``policy_default`` attribute the
    resource registry collects).
    """
    rules = resource_types_policies.resource_types_policies
    name = resource_types_policies.POLICY_ROOT % type_name
    if all(rule.name != name for rule in rules):
        rules.append(policy.RuleDefault(
            name=name, check_str=policies_base.RULE_PROJECT_ADMIN,
            scope_types=['project'],
            description='Use %s in stacks.' % type_name))


# 6. Alarms that Heat lost ------------------------------------------------


def delete_orphan_alarms(rsrc, calls_rsrc):
    """Delete the alarms of ``rsrc``'s stack that call it but Heat lost.

    Heat's OS::Aodh::EventAlarm stores nothing before its create: if the
    engine dies after Aodh made the alarm and before Heat stored its ID, the
    alarm stays behind, still calling ``rsrc`` (a webhook), and no delete of
    Heat's will ever find it. ``rsrc`` is deleted after its alarms (they
    depend on it), so an alarm still there that calls it is such an orphan,
    when it is

    * of this stack: named "<stack name>-..." as Heat names the alarms it
      makes (Aodh keeps no stack ID), and
    * calling ``rsrc``: ``calls_rsrc(url)`` is true of one of its
      ``alarm_actions`` (for a webhook: its own invoke URL, by its ID).

    Alarms of other stacks, alarms made outside Heat (other names) and
    alarms calling other URLs are left alone. Failing to list the alarms
    only logs a warning: the webhook's delete goes on. The change to
    propose to Heat: store a marker before an alarm's create, as this
    plugin does for its own resources (``recovery.Recoverable``), and let
    the alarm's delete find what the create made.
    """
    aodh = rsrc.client('aodh')
    try:
        alarms = aodh.alarm.list()
    except Exception as ex:
        LOG.warning('%(res)s: cannot list alarms to find orphans: '
                    '%(ex)s', {'res': rsrc, 'ex': ex})
        return
    prefix = rsrc.stack.name + '-'
    for alarm in alarms:
        if (any(calls_rsrc(str(action))
                for action in alarm.get('alarm_actions') or []) and
                (alarm.get('name') or '').startswith(prefix)):
            LOG.info('%(res)s: deleting alarm %(id)s left by an '
                     'interrupted create', {'res': rsrc,
                                            'id': alarm['alarm_id']})
            try:
                aodh.alarm.delete(alarm['alarm_id'])
            except Exception as ex:
                if not rsrc.client_plugin('aodh').is_not_found(ex):
                    raise
