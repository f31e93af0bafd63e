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

"""The query of an event alarm as Aodh's event evaluator can use it.

Heat's ``OS::Aodh::EventAlarm`` and Aodh's API accept queries that Aodh's
event evaluator (aodh/evaluator/event.py, Aodh 23) cannot use, and one that
silences a whole project:

* ``type: boolean``: the evaluator's table of query types has no boolean.
  It converts every query of a project's alarms when it loads them, outside
  its per-alarm error handling, so while such an alarm exists the KeyError
  stops every event of that project: no event alarm of the project fires,
  and the events are not evaluated later either.
* a ``field`` without ``traits.``: kept as it is, and comparing it raises
  inside the per-alarm guard: the alarm never fires (only a log line).
* ``type: datetime``: Aodh's API refuses it for event alarms (400), and an
  event's datetime traits cannot be compared as strings either.
* a ``value`` that is not a number of its ``type`` (integer, float), or no
  value: Aodh's API refuses it.

Ceilometer makes traits of four types only: string, integer, float and
datetime; a payload's boolean becomes the string ``True`` or ``False``.
"""
import re

from heat.common.i18n import _

TRAIT_PREFIX = 'traits.'
# Aodh's API: aodh/api/controllers/v2/alarm_rules/event.py _q_validator
FIELD_PATTERN = re.compile(r"^[a-zA-Z.',0-9_-]*$")
NUMBERS = {'integer': int, 'float': float}


def problems(query):
    """What is wrong with each condition of ``query``.

    ``query``: a list of dicts with field, op, type, value, as the alarm's
    property holds them. Returns a list of messages, each naming the
    condition, what Aodh would do with it and what to write instead; empty
    when Aodh can use every condition.
    """
    found = []
    for index, condition in enumerate(query or []):
        if not isinstance(condition, dict):
            continue  # Heat's own schema check refuses it
        where = _('query[%(i)d] (%(field)s)') % {
            'i': index, 'field': condition.get('field')}
        found += ['%s: %s' % (where, message)
                  for message in _condition_problems(condition)]
    return found


def _condition_problems(condition):
    field = condition.get('field')
    kind = condition.get('type') or 'string'
    value = condition.get('value')
    if kind == 'boolean':
        yield _('type "boolean" silences every event alarm of the project: '
                "Aodh's event evaluator has no boolean type and, while an "
                'alarm with one exists, evaluates no event of its project. '
                'Ceilometer makes no boolean traits (a true in a '
                'notification becomes the string "True"): use type string '
                'with value "True" or "False".')
    elif kind == 'datetime':
        yield _("type \"datetime\" is refused by Aodh's API for event "
                'alarms, and a datetime trait never equals a string: filter '
                'on another trait.')
    if not field or not field.startswith(TRAIT_PREFIX):
        yield _('the field is not a trait, so the alarm never fires: Aodh '
                'compares event traits only, as "traits.<name>" (e.g. '
                '"traits.%s").') % (field or 'display_name').split('.')[-1]
    elif (len(field) == len(TRAIT_PREFIX)
          or not FIELD_PATTERN.match(field)):
        yield _('the field must be "traits." and a trait name of letters, '
                "digits and . , _ - ' only (Aodh's API refuses others).")
    if value is None:
        yield _('the condition has no value to compare with: give one.')
    elif kind in NUMBERS:
        try:
            NUMBERS[kind](value)
        except (TypeError, ValueError):
            yield _('value "%(value)s" is not a number of type %(type)s '
                    "(Aodh's API refuses it): give a number, or compare as "
                    'type string.') % {'value': value, 'type': kind}
