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

"""What to launch, and which events must (and must not) run the function, for
every template a user launches: the seed chain, each trigger in
templates/triggers/ and each example in templates/examples/.

The end-to-end tests drive these cases through the ``openstack`` CLI
(tests/e2e/test_catalog.py) and the browser tests through Horizon's Launch
Stack form; both import this table and nothing here depends on either.

``CASES`` is a list of ``Case`` (a namedtuple), one per launchable template:

name
    A short identifier, usable in test and stack names.
template
    The template's path, relative to the repository root. It is
    self-contained (no get_file), so it can be uploaded in Horizon.
environment
    The environment file the CLI passes with ``-e`` (relative to the
    repository root) so that the ``Qinling::Trigger::*`` types resolve, or
    None. Horizon needs none: the local cloud installs the catalog
    cloud-wide (``/etc/heat/templates`` + ``environment.d``).
function_parameter
    None if the template creates its own function. Otherwise the name of
    the parameter that takes an existing function: the test first creates a
    function from ``FUNCTION_FILES``/``FUNCTION_ENTRY`` (in the demo
    project, e.g. with python-qinlingclient and
    ``heat_qinling.package.build_zip``) and passes its NAME there (a
    function given by name is what users type in the form).
parameters
    Parameter values to give, as strings exactly as typed in the form or
    after ``--parameter NAME=``. A JSON parameter is a JSON string.
changed
    The name of one parameter in ``parameters`` whose value differs from the
    template's default (what a form test changes).
fires
    Events that must each run the function, every time: emitting one twice
    gives two executions. Each is an ``Event``.
ignored
    Events that must run nothing: ``(why, Event)`` pairs, ``why`` being
    ``'other type'``, ``'other trait value'`` or ``'other project'``.
output
    The function's output (execution result ``output``) for a fired event:
    a string, or a callable taking the Event and returning the string.
outputs
    Stack outputs the stack must show (names).

``Event(event_type, fields, project)``: the notification the service of
``event_type`` sends, which Ceilometer turns into the event: ``fields`` is a
dict of what it is about, as ``localcloud.events.build`` (and
``tools/localcloud emit-event``'s options) take them (name, flavor, state,
volume_type, size, ...); ``project`` is ``'own'`` (the demo project that owns
the stack) or ``'other'`` (the admin project).
"""
import collections

Case = collections.namedtuple(
    'Case', 'name template environment function_parameter parameters '
            'changed fires ignored output outputs')
Event = collections.namedtuple('Event', 'event_type fields project')

ENVIRONMENT = 'templates/triggers/environment.yaml'
OWN, OTHER = 'own', 'other'

# The function the tests create for triggers that take an existing one. It
# returns the type of the event that ran it, so an execution shows which
# trigger fired.
FUNCTION_ENTRY = 'report.main'
FUNCTION_FILES = {
    'report.py': (
        "def main(reason_data=None, **kwargs):\n"
        "    event = (reason_data or {}).get('event', {})\n"
        "    return 'Ran for %s' % event.get('event_type')\n"),
}


def ran_for(event):
    """Output of FUNCTION_FILES (and of two-triggers.yaml) for ``event``."""
    return 'Ran for %s' % event.event_type


TRIGGER_OUTPUTS = ['alarm_id', 'webhook_url', 'function_id']


def _trigger(name, parameters, changed, fires, other_type, other_value):
    """A thin trigger: one matching event, and three that must not match.

    ``fires`` and ``other_type`` are (event_type, fields); ``other_value``
    the fields to change in ``fires`` for an event that must not match.
    The three: another type, another value, the same in another project.
    """
    event_type, fields = fires
    return Case(
        name=name, template='templates/triggers/%s.yaml' % name,
        environment=None, function_parameter='function',
        parameters=parameters, changed=changed,
        fires=[Event(event_type, fields, OWN)],
        ignored=[('other type', Event(other_type[0], other_type[1], OWN)),
                 ('other trait value',
                  Event(event_type, dict(fields, **other_value), OWN)),
                 ('other project', Event(event_type, fields, OTHER))],
        output=ran_for, outputs=TRIGGER_OUTPUTS)


# Volume type IDs: Cinder's notifications carry the ID, never the name.
SSD_TYPE_ID = '5e3a4b9c-1d2f-4a6b-8c7d-9e0f1a2b3c4d'
HDD_TYPE_ID = '0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e'
SERVER_ID = '7d9c2f4e-3b1a-4c5d-8e6f-0a1b2c3d4e5f'
OTHER_SERVER_ID = '8e0d3a5f-4c2b-4d6e-9f7a-1b2c3d4e5f6a'

CASES = [
    Case(name='seed',
         template='templates/function-webhook-event-alarm.yaml',
         environment=None, function_parameter=None,
         parameters={'event_type': 'compute.instance.create.end'},
         changed='event_type',
         fires=[Event('compute.instance.create.end', {'name': 'web1'}, OWN)],
         ignored=[('other type', Event('compute.instance.delete.end',
                                       {'name': 'web1'}, OWN)),
                  ('other project', Event('compute.instance.create.end',
                                          {'name': 'web1'}, OTHER))],
         output='Hello, World',
         outputs=['function_id', 'webhook_url', 'alarm_id']),
    Case(name='event', template='templates/triggers/event.yaml',
         environment=None, function_parameter='function',
         parameters={'event_type': 'volume.create.end',
                     'query': '[{"field": "traits.size", "op": "ge",'
                              ' "type": "integer", "value": "10"}]'},
         changed='event_type',
         fires=[Event('volume.create.end', {'size': 20}, OWN)],
         ignored=[('other type', Event('volume.delete.end', {'size': 20},
                                       OWN)),
                  ('other trait value', Event('volume.create.end',
                                              {'size': 5}, OWN)),
                  ('other project', Event('volume.create.end', {'size': 20},
                                          OTHER))],
         output=ran_for, outputs=TRIGGER_OUTPUTS),
    _trigger('server-created', {'server_name': 'web1'}, 'server_name',
             ('compute.instance.create.end',
              {'name': 'web1', 'flavor': 'm1.small'}),
             ('compute.instance.delete.end', {'name': 'web1'}),
             {'name': 'web2'}),
    _trigger('server-deleted', {'server_id': SERVER_ID}, 'server_id',
             ('compute.instance.delete.end',
              {'instance_id': SERVER_ID, 'name': 'web1'}),
             ('compute.instance.create.end',
              {'instance_id': SERVER_ID, 'name': 'web1'}),
             {'instance_id': OTHER_SERVER_ID}),
    _trigger('server-error', {'server_name': 'db1'}, 'server_name',
             ('compute.instance.update',
              {'name': 'db1', 'state': 'error', 'old_state': 'active'}),
             ('compute.instance.create.error', {'name': 'db1'}),
             {'old_state': 'error'}),
    _trigger('volume-created', {'volume_type_id': SSD_TYPE_ID,
                                'min_size': '10'}, 'volume_type_id',
             ('volume.create.end',
              {'name': 'data', 'volume_type': SSD_TYPE_ID, 'size': 10}),
             ('volume.delete.end',
              {'name': 'data', 'volume_type': SSD_TYPE_ID, 'size': 10}),
             {'volume_type': HDD_TYPE_ID}),
    _trigger('image-uploaded', {'image_name': 'base-image'}, 'image_name',
             ('image.upload', {'name': 'base-image'}),
             ('image.delete', {'name': 'base-image'}),
             {'name': 'other-image'}),
    _trigger('port-created', {'port_name': 'uplink'}, 'port_name',
             ('port.create.end', {'name': 'uplink'}),
             ('port.delete.end', {'name': 'uplink'}),
             {'name': 'downlink'}),
    Case(name='two-triggers', template='templates/examples/two-triggers.yaml',
         environment=ENVIRONMENT, function_parameter=None,
         parameters={'server_name': 'web1'}, changed='server_name',
         fires=[Event('compute.instance.create.end', {'name': 'web1'}, OWN),
                Event('volume.create.end', {'volume_type': SSD_TYPE_ID},
                      OWN)],
         ignored=[('other type', Event('compute.instance.delete.end',
                                       {'name': 'web1'}, OWN)),
                  ('other trait value', Event('compute.instance.create.end',
                                              {'name': 'web2'}, OWN)),
                  ('other project', Event('volume.create.end',
                                          {'volume_type': SSD_TYPE_ID},
                                          OTHER))],
         output=ran_for,
         outputs=['function_id', 'server_alarm_id', 'volume_alarm_id',
                  'server_webhook_url', 'volume_webhook_url']),
    Case(name='existing-function',
         template='templates/examples/existing-function-trigger.yaml',
         environment=ENVIRONMENT, function_parameter='function',
         parameters={'event_type': 'compute.instance.delete.*'},
         changed='event_type',
         fires=[Event('compute.instance.delete.end', {'name': 'web1'}, OWN)],
         ignored=[('other type', Event('compute.instance.create.end',
                                       {'name': 'web1'}, OWN)),
                  ('other project', Event('compute.instance.delete.end',
                                          {'name': 'web1'}, OTHER))],
         output=ran_for, outputs=TRIGGER_OUTPUTS),
]


def expected_output(case, event):
    """The output a fired ``event`` gives for ``case``."""
    return case.output(event) if callable(case.output) else case.output
