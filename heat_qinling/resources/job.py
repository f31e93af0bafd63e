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

"""OS::Qinling::Job."""
import datetime

import croniter
from oslo_serialization import jsonutils
from oslo_utils import timeutils

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support

from heat_qinling import client as qinling_client
from heat_qinling.resources import base
from heat_qinling.resources import heat_internals
from heat_qinling.resources import target
from heat_qinling.resources import validation

# Column sizes of Qinling's jobs table; sqlite does not enforce them, other
# databases reject or truncate longer values.
INPUT_MAX, PATTERN_MAX, NAME_MAX = 255, 32, 255
# Qinling stores count in an INTEGER column (MySQL: signed, 32 bits).
COUNT_MAX = 2 ** 31 - 1
# Minute, hour, day, month, weekday, and optionally seconds: the fields of
# Qinling's (croniter's) patterns. croniter also takes a seventh, the year,
# which Qinling's documentation does not promise.
PATTERN_FIELDS = (5, 6)
# Qinling refuses a first (or resumed one-shot) time less than this ahead.
LEAD_SECONDS = 60
TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


class QinlingJob(target.FunctionTarget, base.QinlingResource):
    """A Qinling job: runs a function on a schedule, or once at a set time.

    Give a cron ``pattern`` for a recurring job, a ``first_execution_time``
    for a one-shot job, or both (the first run is then the first tick of the
    pattern from a minute before that time). Times are UTC. The pattern has
    the five cron fields, and an optional sixth one for seconds:
    ``"* * * * * */10"`` runs every ten seconds.

    The job runs a ``function`` (and ``function_version``, 0 = the latest
    code) or a ``function_alias``. Prefer an alias for a job that should
    keep running while its function's code is updated: Qinling refuses to
    change the code, entry, cpu or memory of a function that running or
    paused jobs target directly (the update then fails naming the jobs).

    ``name``, ``pattern``, ``input`` and ``enabled`` change in place. A
    change of target, ``count`` or ``first_execution_time``, a switch
    between recurring and one-shot, and any change to a job that has
    finished (its ``count`` is used up) replace the job, since Qinling
    ignores or refuses those. Suspending the stack pauses the job; resuming
    it resumes the job if ``enabled``.
    """

    support_status = support.SupportStatus(version='1.0.0')

    entity = 'jobs'

    object_kind = _('Qinling job')

    PROPERTIES = (
        NAME, FUNCTION, FUNCTION_VERSION, FUNCTION_ALIAS, PATTERN,
        FIRST_EXECUTION_TIME, COUNT, INPUT, ENABLED,
    ) = (
        'name', 'function', 'function_version', 'function_alias', 'pattern',
        'first_execution_time', 'count', 'input', 'enabled',
    )

    ATTRIBUTES = (
        STATUS_ATTR, NEXT_EXECUTION_TIME_ATTR, REMAINING_COUNT_ATTR,
        FIRST_EXECUTION_TIME_ATTR, FUNCTION_ID_ATTR, FUNCTION_ALIAS_ATTR,
        FUNCTION_VERSION_ATTR, NAME_ATTR,
    ) = (
        'status', 'next_execution_time', 'remaining_count',
        'first_execution_time', 'function_id', 'function_alias',
        'function_version', 'name',
    )

    properties_schema = dict(target.target_schema(
        function=_('Name or ID of the function the job runs. Give this or '
                   '"function_alias". Changing it replaces the job.'),
        function_version=_('Version of "function" to run; 0 runs the '
                           'latest code. Changing it replaces the job.'),
        function_alias=_('Name of the function alias the job runs, '
                         'resolved at each run. Give this or "function". '
                         'Changing it replaces the job.'),
        update_allowed=False), **{
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the job. Defaults to a name Heat generates.'),
            update_allowed=True,
            constraints=validation.text_constraints(_('job name'),
                                                    max_len=NAME_MAX),
        ),
        PATTERN: properties.Schema(
            properties.Schema.STRING,
            _('Cron pattern in UTC with five fields (minute hour day month '
              'weekday), e.g. "*/5 * * * *", and an optional sixth for '
              'seconds. Give this, "first_execution_time" or both. Changes '
              'in place; adding or removing it replaces the job.'),
            update_allowed=True,
            constraints=validation.text_constraints(
                _('pattern'), max_len=PATTERN_MAX) + [
                constraints.CustomConstraint('cron_expression')],
        ),
        FIRST_EXECUTION_TIME: properties.Schema(
            properties.Schema.STRING,
            _('Time of the first run, ISO 8601, e.g. "2030-01-01T12:00:00Z" '
              '(UTC unless an offset is given). At least a minute in the '
              'future when the job is created. Changing it replaces the '
              'job.'),
        ),
        COUNT: properties.Schema(
            properties.Schema.INTEGER,
            _('Number of runs, after which the job is done. Unlimited when '
              'not given or 0 (1 for a job without "pattern"). Changing it '
              'replaces the job.'),
            constraints=[constraints.Range(
                min=0, max=COUNT_MAX,
                description=_('The count must be at least 1, or 0 for no '
                              'limit, and at most %d (what Qinling '
                              'stores).') % COUNT_MAX)],
        ),
        INPUT: properties.Schema(
            properties.Schema.MAP,
            _('Keyword arguments passed to the function at each run. '
              'At most %d characters as JSON.') % INPUT_MAX,
            update_allowed=True,
        ),
        ENABLED: properties.Schema(
            properties.Schema.BOOLEAN,
            _('False pauses the job.'),
            update_allowed=True,
            default=True,
        ),
    })

    attributes_schema = {
        STATUS_ATTR: attributes.Schema(
            _('Status of the job: running, paused, done (count used up) or '
              'cancelled.'),
            type=attributes.Schema.STRING,
            cache_mode=attributes.Schema.CACHE_NONE),
        NEXT_EXECUTION_TIME_ATTR: attributes.Schema(
            _('Time of the next run (UTC).'),
            type=attributes.Schema.STRING,
            cache_mode=attributes.Schema.CACHE_NONE),
        REMAINING_COUNT_ATTR: attributes.Schema(
            _('Runs left; null when unlimited.'),
            type=attributes.Schema.INTEGER,
            cache_mode=attributes.Schema.CACHE_NONE),
        FIRST_EXECUTION_TIME_ATTR: attributes.Schema(
            _('Time of the first run (UTC).'),
            type=attributes.Schema.STRING),
        FUNCTION_ID_ATTR: attributes.Schema(
            _('ID of the function the job runs; for a job on an alias, the '
              'function the alias points at now.'),
            type=attributes.Schema.STRING,
            cache_mode=attributes.Schema.CACHE_NONE),
        FUNCTION_ALIAS_ATTR: attributes.Schema(
            _('Name of the alias the job runs, if any.'),
            type=attributes.Schema.STRING),
        FUNCTION_VERSION_ATTR: attributes.Schema(
            _('Version the job runs; for a job on an alias, the version the '
              'alias points at now.'),
            type=attributes.Schema.INTEGER,
            cache_mode=attributes.Schema.CACHE_NONE),
        NAME_ATTR: attributes.Schema(
            _('Name of the job.'), type=attributes.Schema.STRING),
    }

    # Validation ----------------------------------------------------------

    @staticmethod
    def _encoded_input(value):
        if not value:
            return None
        return jsonutils.dumps(value, sort_keys=True)

    @staticmethod
    def _parse_time(value):
        """A time as naive UTC (Qinling drops any offset it is given)."""
        when = timeutils.parse_isotime(value)
        return timeutils.normalize_time(when)

    def _check_first_time(self, value):
        when = self._parse_time(value)
        earliest = timeutils.utcnow() + datetime.timedelta(
            seconds=LEAD_SECONDS)
        if when < earliest:
            raise self.property_error(
                self.FIRST_EXECUTION_TIME,
                _('%(value)s is less than %(lead)d seconds from now '
                  '(%(now)s UTC), and Qinling only accepts a first time at '
                  'least a minute ahead. Give a later time, or leave '
                  '"first_execution_time" out and use "pattern" alone.') % {
                    'value': value, 'lead': LEAD_SECONDS,
                    'now': timeutils.utcnow().strftime(TIME_FORMAT)})

    # Heat hands a property set to null by a function (e.g. an "if" in a
    # template) to the resource as '' or 0: those mean "not given" here.

    def _alias(self, props):
        return props[self.FUNCTION_ALIAS] or None

    def _pattern(self, props):
        return props[self.PATTERN] or None

    def _first_time(self, props):
        return props[self.FIRST_EXECUTION_TIME] or None

    def _count(self, props):
        return props[self.COUNT] or None

    def _check_pattern(self, pattern):
        fields = len(pattern.split())
        if fields not in PATTERN_FIELDS:
            raise self.property_error(
                self.PATTERN,
                _('"%(pattern)s" has %(fields)d fields; a Qinling pattern has '
                  '5 (minute hour day month weekday) or 6 (then seconds).') %
                {'pattern': pattern, 'fields': fields})
        try:
            croniter.croniter(pattern, timeutils.utcnow()).get_next(
                datetime.datetime)
        except croniter.CroniterBadDateError:
            raise self.property_error(
                self.PATTERN,
                _('"%s" never fires: no date matches it (e.g. a 30 February '
                  'or a 31 April). Fix the day and month fields.') % pattern)

    def validate_values(self):
        props = self.properties
        self.validate_target()
        pattern = self._pattern(props)
        first = self._first_time(props)
        if not pattern and first is None:
            raise exception.StackValidationFailed(
                resource=self,
                message=_('Give "pattern" (a cron pattern, for a recurring '
                          'job), "first_execution_time" (for a one-shot '
                          'job) or both.'))
        count = self._count(props)
        if not pattern and count is not None and count > 1:
            raise self.property_error(
                self.COUNT,
                _('A job without "pattern" runs once, so "count" %d cannot '
                  'be reached. Add a "pattern" or set "count" to 1.') % count)
        if pattern:
            self._check_pattern(pattern)
        encoded = self._encoded_input(props[self.INPUT])
        if encoded is not None and len(encoded) > INPUT_MAX:
            raise self.property_error(
                self.INPUT,
                _('The input is %(size)d characters as JSON; Qinling stores '
                  'at most %(max)d. Pass less, e.g. an ID the function looks '
                  'up.') % {'size': len(encoded), 'max': INPUT_MAX})
        if first is not None:
            try:
                self._parse_time(first)
            except ValueError:
                raise self.property_error(
                    self.FIRST_EXECUTION_TIME,
                    _('"%s" is not an ISO 8601 time; write it like '
                      '"2030-01-01T12:00:00Z".') % first)
            # In an update, the time the job was created with has passed
            # by now: only a new one must be ahead.
            stored = heat_internals.stored_properties(self.stack, self.name)
            if (heat_internals.is_new_stack(self.stack) or
                    stored.get(self.FIRST_EXECUTION_TIME) != first):
                self._check_first_time(first)

    # Create / update / delete ------------------------------------------

    def _function_version(self, props):
        return 0 if self._alias(props) else props[self.FUNCTION_VERSION]

    def handle_create(self):
        props = self.properties
        alias = self._alias(props)
        if alias is None:
            self.check_version_exists(props[self.FUNCTION],
                                      props[self.FUNCTION_VERSION])
        else:
            try:
                self.client_plugin().get_alias(alias)
            except Exception as ex:
                if not self.client_plugin().is_not_found(ex):
                    raise
                raise self.property_error(
                    self.FUNCTION_ALIAS,
                    _('There is no function alias "%s" in this project. '
                      'Create it first (OS::Qinling::Alias) or fix the '
                      'name.') % alias)
        first = self._first_time(props)
        if first is not None:
            self._check_first_time(first)
            first = self._parse_time(first).strftime(TIME_FORMAT)
        name = props[self.NAME] or self.physical_resource_name()
        # Job names need not be unique: the marker also lists the jobs of
        # that name made before (a generated name is unique already).
        known = []
        if props[self.NAME]:
            known = sorted(j.id for j in self.client().jobs.list()
                           if j.name == name)
        self.create_sending({'name': name, 'known': known})
        try:
            job = self.client().jobs.create(
                function_id=None if alias else props[self.FUNCTION],
                function_alias=alias,
                function_version=self._function_version(props),
                name=name,
                pattern=self._pattern(props),
                first_execution_time=first,
                function_input=self._encoded_input(props[self.INPUT]),
                count=self._count(props))
        except Exception as ex:
            self.create_rejected(ex)
            raise
        self.resource_id_set(job.id)
        if not props[self.ENABLED]:
            self.client().jobs.update(job.id, status='paused')

    def find_created(self, marker):
        found = [j.id for j in self.client().jobs.list()
                 if j.name == marker['name'] and j.id not in marker['known']]
        return found[0] if len(found) == 1 else None

    def show_object(self, object_id):
        return self.client().jobs.get(object_id)

    def create_recovered(self):
        if not self.properties[self.ENABLED]:
            job = self.client().jobs.get(self.resource_id)
            if job.status == 'running':
                self._put(status='paused')

    def broken_reason(self, job):
        if job.status in qinling_client.JOB_FINISHED:
            return _('job %(id)s is %(status)s (Qinling cannot change a '
                     'finished job)') % {'id': job.id, 'status': job.status}
        return None

    def handle_delete(self):
        if self.recover_resource_id() is None:
            return
        # Done jobs too: a finished job still holds its function.
        with self.client_plugin().ignore_not_found:
            self.client().jobs.delete(self.resource_id)

    def _live_job(self):
        with self.client_plugin().ignore_not_found:
            return self.client().jobs.get(self.resource_id)
        return None

    def needs_replace_with_prop_diff(self, changed_properties_set,
                                     after_props, before_props):
        if super().needs_replace_with_prop_diff(
                changed_properties_set, after_props, before_props):
            return True
        if (self.PATTERN in changed_properties_set and
                bool(self._pattern(after_props)) !=
                bool(self._pattern(before_props))):
            # Qinling: "Can not change job type."
            return True
        if self.resource_id is None:
            return True
        job = self._live_job()
        # Qinling: "Can not update a finished job."
        return job is None or job.status in qinling_client.JOB_FINISHED

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        after = json_snippet.properties(self.properties_schema, self.context)
        fields = {}
        if self.NAME in prop_diff:
            fields['name'] = (after[self.NAME] or
                              self.physical_resource_name())
        if self.PATTERN in prop_diff:
            fields['pattern'] = after[self.PATTERN]
        if self.INPUT in prop_diff:
            # Qinling ignores a null; an empty string means no input.
            fields['function_input'] = self._encoded_input(
                after[self.INPUT]) or ''
        if self.ENABLED in prop_diff and self.action != self.SUSPEND:
            fields['status'] = 'running' if after[self.ENABLED] else 'paused'
        if fields:
            self._put(**fields)

    def _put(self, **fields):
        try:
            self.client_plugin().update_job(self.resource_id, **fields)
        except Exception as ex:
            if (fields.get('status') == 'running' and
                    self.client_plugin().is_client_exception(ex) and
                    'minute in the future' in str(ex)):
                raise exception.Error(
                    _('Qinling cannot resume one-shot job %(job)s: its time '
                      'is less than a minute away or has passed. Set a new '
                      '"first_execution_time" (this replaces the job). '
                      'Qinling said: %(reason)s') % {
                        'job': self.resource_id, 'reason': ex})
            raise

    def handle_suspend(self):
        job = self._live_job() if self.resource_id else None
        if job is not None and job.status == 'running':
            self._put(status='paused')

    def handle_resume(self):
        job = self._live_job() if self.resource_id else None
        if (job is not None and job.status == 'paused' and
                self.properties[self.ENABLED]):
            self._put(status='running')

    def check_object(self, job):
        if job.status == 'cancelled':
            raise exception.Error(
                _('Job %s was cancelled outside Heat and will not run '
                  'again.') % job.id)
        if job.function_alias:
            self.client_plugin().get_alias(job.function_alias)
        else:
            self.client().functions.get(job.function_id)

    # Observation -------------------------------------------------------

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        job = self.client().jobs.get(self.resource_id)
        if name == self.REMAINING_COUNT_ATTR:
            return job.count
        if (name in (self.FUNCTION_ID_ATTR, self.FUNCTION_VERSION_ATTR) and
                job.function_alias):
            alias = self.client_plugin().get_alias(job.function_alias)
            return getattr(alias, name, None)
        return getattr(job, name, None)

    def parse_live_resource_data(self, resource_properties, resource_data):
        live = {
            self.PATTERN: resource_data.get('pattern'),
            self.ENABLED: resource_data.get('status') != 'paused',
        }
        if resource_properties.get(self.NAME) is not None:
            live[self.NAME] = resource_data.get('name')
        raw = resource_data.get('function_input')
        if raw:
            try:
                live[self.INPUT] = jsonutils.loads(raw)
            except ValueError:
                live[self.INPUT] = raw
        else:
            live[self.INPUT] = None
        return live


def resource_mapping():
    return {'OS::Qinling::Job': QinlingJob}
