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

"""An in-memory Aodh v2 alarms API, enough for Heat's OS::Aodh::EventAlarm.

Heat 27 creates with POST /v2/alarms, updates (and suspends/resumes) through
aodhclient's GET + full-body PUT, reads with GET and deletes with DELETE.
Bodies are validated as Aodh 23 validates an event alarm; errors come as Aodh
formats them: {"error_message": {"faultcode", "faultstring", "debuginfo"}}.
"""

import datetime
import re
from urllib import parse
import uuid

from tests.fakes import server
from tests.fakes.server import Fault
from tests.fakes.server import Response

ALARM_TYPES = ('gnocchi_resources_threshold',
               'gnocchi_aggregation_by_metrics_threshold',
               'gnocchi_aggregation_by_resources_threshold', 'event',
               'composite', 'loadbalancer_member_health', 'prometheus')
STATES = ('ok', 'alarm', 'insufficient data')
SEVERITIES = ('low', 'moderate', 'critical')
OPERATORS = ('lt', 'le', 'eq', 'ne', 'ge', 'gt')
QUERY_TYPES = ('string', 'integer', 'float', 'boolean', '')
BOOLEANS = dict([(v, True) for v in ('1', 't', 'true', 'on', 'y', 'yes')] +
                [(v, False) for v in ('0', 'f', 'false', 'off', 'n', 'no')])
CONVERTERS = {'string': str, 'integer': int, 'float': float,
              'boolean': lambda v: BOOLEANS[v.lower()],
              'datetime': datetime.datetime.fromisoformat}
ACTION_SCHEMES = ('log', 'test', 'http', 'https', 'trust+http',
                  'trust+https', 'zaqar', 'trust+zaqar')
ACTION_FIELDS = ('ok_actions', 'alarm_actions', 'insufficient_data_actions')
DEFAULTS = {'description': None, 'enabled': True, 'ok_actions': [],
            'alarm_actions': [], 'insufficient_data_actions': [],
            'repeat_actions': False, 'time_constraints': [],
            'state': 'insufficient data', 'severity': 'low',
            'evaluate_timestamp': None}
SERVER_FIELDS = ('alarm_id', 'project_id', 'user_id', 'timestamp',
                 'state_timestamp', 'state_reason')
ALARM_FIELDS = (('name', 'type') + tuple(DEFAULTS) + SERVER_FIELDS +
                tuple('%s_rule' % t for t in ALARM_TYPES))


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None).isoformat()


def _invalid(field, value, why):
    return Fault(400, "Invalid input for field/attribute %s. Value: '%s'. %s"
                 % (field, value, why))


def _event_rule(rule):
    """Aodh's AlarmEventRule: defaults, then validate_alarm's checks."""
    unknown = sorted(set(rule) - {'event_type', 'query'})
    if unknown:
        raise Fault(400, 'Unknown attribute for argument data: %s'
                    % ', '.join(unknown))
    query = []
    for item in rule.get('query') or []:
        for key in ('field', 'value'):
            if item.get(key) is None:
                raise _invalid(key, None, 'Mandatory field missing.')
        item = dict(item, op=item.get('op') or 'eq')
        if item['op'] not in OPERATORS:
            raise _invalid('op', item['op'], 'Value should be one of: %s'
                           % ', '.join(OPERATORS))
        kind = item.get('type')
        if kind:
            if kind not in CONVERTERS:
                raise Fault(400, 'The data type %s is not supported. The '
                                 'supported data type list is: %s'
                            % (kind, list(CONVERTERS)))
            try:
                CONVERTERS[kind](item['value'])
            except (ValueError, KeyError):
                raise Fault(400, 'Unable to convert the value %s to the '
                                 'expected data type %s.'
                            % (item['value'], kind))
        problems = []
        if not re.match(r"^[a-zA-Z.',0-9_-]*$", item['field']):
            problems.append("does not match regular expression for "
                            "dictionary value @ data['field']")
        if (kind or '') not in QUERY_TYPES:
            problems.append("value must be one of %s for dictionary value "
                            "@ data['value']" % sorted(QUERY_TYPES))
        if problems:
            raise Fault(400, 'Query value or traits invalid: %s'
                        % problems[0])
        query.append(item)
    return {'event_type': rule.get('event_type') or '*', 'query': query}


class FakeAodh(server.FakeAPI):
    """Aodh v2 alarms: create, list, get, full update, delete (event only).

    Alarms are stored as the JSON Aodh returns, in `alarms` by id. The owner
    comes from the X-Project-Id / X-User-Id headers, else the constructor's.
    A type other than `event` is answered 501: the fake does not model it.
    """

    routes = (
        ('GET', '/v2/alarms', 'list_alarms', None),
        ('POST', '/v2/alarms', 'create_alarm', None),
        ('GET', '/v2/alarms/(?P<id>[^/]+)', 'get_alarm', None),
        ('PUT', '/v2/alarms/(?P<id>[^/]+)', 'update_alarm', None),
        ('DELETE', '/v2/alarms/(?P<id>[^/]+)', 'delete_alarm', None),
    )

    def __init__(self, project_id='fake-project', user_id='fake-user'):
        super().__init__()
        self.project_id = project_id
        self.user_id = user_id
        self.alarms = {}

    def fault_response(self, style, fault):
        return Response(fault.status, {'error_message': {
            'faultcode': 'Client' if fault.status < 500 else 'Server',
            'faultstring': fault.message, 'debuginfo': None}})

    def crash_response(self, style, exc):
        return self.fault_response(style, Fault(500, str(exc)))

    def leftovers(self):
        return {'alarms': sorted(self.alarms)} if self.alarms else {}

    def _alarm(self, alarm_id):
        if alarm_id not in self.alarms:
            raise Fault(404, 'Alarm %s not found in project %s'
                        % (alarm_id, self.project_id))
        return self.alarms[alarm_id]

    @staticmethod
    def _validated(body):
        """The alarm a POST/PUT body describes, with Aodh's defaults."""
        if not isinstance(body, dict):
            raise Fault(400, 'Invalid input for field/attribute data.')
        unknown = sorted(set(body) - set(ALARM_FIELDS))
        if unknown:
            raise Fault(400, 'Unknown attribute for argument data: %s'
                        % ', '.join(unknown))
        alarm = {k: v for k, v in body.items()
                 if v is not None and not k.endswith('_rule')}
        for key in ('name', 'type'):
            if key not in alarm:
                raise _invalid(key, None, 'Mandatory field missing.')
        for key, allowed in (('type', ALARM_TYPES), ('state', STATES),
                             ('severity', SEVERITIES)):
            if key in alarm and alarm[key] not in allowed:
                raise _invalid(key, alarm[key], 'Value should be one of: %s'
                               % ', '.join(allowed))
        if alarm['type'] != 'event':
            raise Fault(501, 'FakeAodh models event alarms only, not %s'
                        % alarm['type'])
        if body.get('event_rule') is None:
            raise Fault(400, 'event_rule must be set for event type alarm')
        alarm['event_rule'] = _event_rule(body['event_rule'])
        alarm = dict(DEFAULTS, **alarm)
        alarm['description'] = alarm['description'] or (
            'Alarm when %s event occurred.'
            % alarm['event_rule']['event_type'])
        for field in ACTION_FIELDS:
            alarm[field] = list(dict.fromkeys(alarm[field]))
            for action in alarm[field]:
                if parse.urlsplit(action).scheme not in ACTION_SCHEMES:
                    raise Fault(400, 'Unsupported action %s' % action)
        return alarm

    def list_alarms(self, request):
        return Response(200, list(self.alarms.values()))

    def create_alarm(self, request):
        alarm = self._validated(request.json())
        now = _now()
        alarm.update(alarm_id=str(uuid.uuid4()), timestamp=now,
                     state_timestamp=now, state_reason='Not evaluated yet',
                     project_id=request.headers.get('x-project-id',
                                                    self.project_id),
                     user_id=request.headers.get('x-user-id', self.user_id))
        self.alarms[alarm['alarm_id']] = alarm
        return Response(201, alarm, headers=[
            ('Location', '%s/v2/alarms/%s' % (self.url, alarm['alarm_id']))])

    def get_alarm(self, request, id):
        return Response(200, self._alarm(id))

    def update_alarm(self, request, id):
        old = self._alarm(id)
        alarm = self._validated(request.json())
        now = _now()
        alarm.update(alarm_id=id, timestamp=now,
                     project_id=old['project_id'], user_id=old['user_id'])
        if alarm['state'] != old['state']:
            alarm.update(state_timestamp=now,
                         state_reason='Manually set via API')
        else:
            alarm.update(state_timestamp=old['state_timestamp'],
                         state_reason=old['state_reason'])
        self.alarms[id] = alarm
        return Response(200, alarm)

    def delete_alarm(self, request, id):
        self._alarm(id)
        del self.alarms[id]
        return Response(204, content_type=None)
