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

"""OS::Qinling::Job on Heat's engine against the fake Qinling: its schema
rules, Qinling 5.0.0's job traps, and the function errors that jobs
cause."""
import copy
import datetime

from oslo_utils import timeutils

from tests.unit import base

FN_CODE = {'hello_world.py': 'def main(**kw):\n    return kw\n'}


def _in(seconds):
    return (timeutils.utcnow() + datetime.timedelta(seconds=seconds)
            ).strftime('%Y-%m-%dT%H:%M:%SZ')


def job_template(**job_props):
    props = {'function': {'get_resource': 'fn'}, 'pattern': '*/5 * * * *'}
    props.update(job_props)
    for key in [k for k, v in props.items() if v is None]:
        del props[key]
    return {
        'heat_template_version': '2018-08-31',
        'resources': {
            'fn': {'type': 'OS::Qinling::Function',
                   'properties': {'runtime': 'python3',
                                  'entry': 'hello_world.main',
                                  'files': FN_CODE}},
            'job': {'type': 'OS::Qinling::Job', 'properties': props},
        },
    }


class JobTestCase(base.QinlingStackTestCase):

    def job_stack(self, **props):
        return self.parse_stack(job_template(**props), name='jobs')

    def create_job(self, **props):
        stk = self.create(self.job_stack(**props))
        return stk, self.qinling.jobs[stk['job'].resource_id]

    def updated_stack(self, stk, **props):
        """The new stack of an update, as heat-engine builds it."""
        return self.as_update_of(stk, self.job_stack(**props))

    def update(self, stk, expected='COMPLETE', **props):
        updated = self.updated_stack(stk, **props)
        stk.update(updated)
        self.assertEqual((stk.UPDATE, expected), stk.state,
                         stk.status_reason)
        return stk


class ValidJobTest(JobTestCase):
    """Passes validation; nothing written."""

    # first_execution_time is taken when the scenario runs, an hour ahead.
    scenarios = [
        ('pattern', dict(props={})),
        ('pattern_with_seconds', dict(props={'pattern': '* * * * * */10'})),
        ('first_time_only', dict(props={'pattern': None}, first_time=True)),
        ('first_time_and_count', dict(props={'count': 3}, first_time=True)),
        ('input_of_200', dict(props={'input': {'name': 'x' * 200}})),
    ]
    first_time = False

    def test_valid_job_passes(self):
        props = dict(self.props)
        if self.first_time:
            props['first_execution_time'] = _in(3600)
        self.job_stack(**props).validate()
        self.assertEqual([], self.qinling.write_requests())


class JobValidationTest(JobTestCase):

    def validate(self, *fragments, **props):
        return self.assertValidationFails(self.job_stack(**props),
                                          *fragments)

    def add_live_alias(self):
        self.qinling.add_alias('live', self.add_function('outside'))

    def test_neither_or_both_targets(self):
        self.add_live_alias()
        self.validate('exactly one of "function"', 'or "function_alias"',
                      function=None)
        self.validate('exactly one of "function"', 'or "function_alias"',
                      function_alias='live')

    def test_version_with_alias(self):
        self.add_live_alias()
        self.validate('properties.function_version', 'only used with',
                      function=None, function_alias='live',
                      function_version=2)

    def test_negative_version(self):
        self.validate('properties.function_version', 'at least 0',
                      function_version=-1)

    def test_neither_pattern_nor_first_time(self):
        self.validate('Give "pattern"', '"first_execution_time"',
                      pattern=None)

    def test_bad_cron(self):
        self.validate('properties.pattern', 'Invalid CRON expression',
                      pattern='every 5 minutes')
        self.validate('properties.pattern', 'Invalid CRON expression',
                      pattern='61 * * * *')

    def test_pattern_longer_than_qinling_stores(self):
        self.validate('properties.pattern', 'at most 32 characters',
                      pattern='0,1,2,3,4,5,6,7,8,9,10,11,12,13 * * * *')

    def test_input_longer_than_qinling_stores(self):
        self.validate('properties.input', '262 characters as JSON',
                      'at most 255', 'Pass less',
                      input={'name': 'x' * 250})

    def test_count_above_1_needs_a_pattern(self):
        self.validate('properties.count', 'Add a "pattern"', pattern=None,
                      first_execution_time=_in(3600), count=2)

    def test_count_at_least_1(self):
        self.validate('properties.count', 'at least 1, or 0', count=-1)

    def test_first_time_in_the_past(self):
        self.validate('properties.first_execution_time',
                      'at least a minute ahead', 'Give a later time',
                      pattern=None, first_execution_time=_in(-5))
        self.validate('properties.first_execution_time',
                      'at least a minute ahead',
                      first_execution_time=_in(30))

    def test_first_time_offset_is_honoured(self):
        # 13:00+02:00 is 11:00 UTC; Qinling would read it as 13:00 UTC.
        soon = timeutils.utcnow() + datetime.timedelta(seconds=30)
        plus_two = (soon + datetime.timedelta(hours=2)).strftime(
            '%Y-%m-%dT%H:%M:%S+02:00')
        self.validate('properties.first_execution_time',
                      'at least a minute ahead',
                      first_execution_time=plus_two)

    def test_first_time_not_iso(self):
        self.validate('properties.first_execution_time', 'not an ISO 8601',
                      first_execution_time='tomorrow')

    def test_input_not_a_map(self):
        self.validate('properties.input', input='just text')


class JobLifecycleTest(JobTestCase):

    def test_create_cron_job(self):
        stk, job = self.create_job(input={'name': 'cron'},
                                   pattern='* * * * * */2')
        fn = stk['fn'].resource_id
        self.assertEqual((fn, 0, None, '* * * * * */2', None, 'running'),
                         (job['function_id'], job['function_version'],
                          job['function_alias'], job['pattern'],
                          job['count'], job['status']))
        self.assertEqual('{"name": "cron"}', job['function_input'])
        self.assertTrue(job['name'].startswith('jobs-job-'))
        execution = self.qinling.fire_job(job['id'])
        self.assertEqual(('{"name": "cron"}', fn),
                         (execution['input'], execution['function_id']))

    def test_one_shot_job_sends_utc(self):
        when = timeutils.utcnow() + datetime.timedelta(hours=1)
        local = (when + datetime.timedelta(hours=2)).strftime(
            '%Y-%m-%dT%H:%M:%S+02:00')
        stk, job = self.create_job(pattern=None, first_execution_time=local)
        self.assertEqual(when.replace(microsecond=0),
                         job['first_execution_time'])
        self.assertEqual(1, job['count'])
        self.assertEqual(1, stk['job'].FnGetAtt('remaining_count'))

    def test_disabled_job_is_created_paused(self):
        stk, job = self.create_job(enabled=False)
        self.assertEqual('paused', job['status'])
        self.assertEqual('paused', stk['job'].FnGetAtt('status'))

    def test_alias_target(self):
        fn = self.add_function('outside')
        self.qinling.add_alias('live', fn, 0)
        stk, job = self.create_job(function=None, function_alias='live')
        self.assertEqual(('live', None, 0),
                         (job['function_alias'], job['function_id'],
                          job['function_version']))
        self.assertEqual(fn, stk['job'].FnGetAtt('function_id'))

    def test_alias_of_the_same_stack_by_get_attr(self):
        # Not known when the stack is validated: still a target.
        tmpl = job_template(function=None,
                            function_alias={'get_attr': ['live', 'name']})
        tmpl['resources']['live'] = {
            'type': 'OS::Qinling::Alias',
            'properties': {'function': {'get_resource': 'fn'}}}
        stk = self.parse_stack(tmpl, name='jobs')
        stk.validate()
        self.create(stk)
        job = self.qinling.jobs[stk['job'].resource_id]
        self.assertEqual(stk['live'].resource_id, job['function_alias'])
        self.assertEqual(stk['fn'].resource_id,
                         stk['job'].FnGetAtt('function_id'))

    def test_missing_alias_fails_validation(self):
        stk = self.job_stack(function=None, function_alias='nope')
        self.assertValidationFails(stk, 'function_alias', 'nope')
        self.assertEqual({}, self.qinling.jobs)

    def test_missing_alias_fails_before_any_job_is_written(self):
        stk = self.job_stack(function=None, function_alias='nope')
        stk.store()
        stk.create()
        self.assertFailsWith(stk, stk.CREATE, 'function_alias',
                             'FunctionAlias not found [name=nope]')
        self.assertEqual({}, self.qinling.jobs)

    def test_attributes(self):
        stk, job = self.create_job(pattern='0 0 1 1 *', count=3)
        rsrc = stk['job']
        self.assertEqual(('running', 3, job['function_id']),
                         (rsrc.FnGetAtt('status'),
                          rsrc.FnGetAtt('remaining_count'),
                          rsrc.FnGetAtt('function_id')))
        self.assertTrue(rsrc.FnGetAtt('next_execution_time').endswith(
            '-01-01T00:00:00Z'))
        self.qinling.fire_job(job['id'])
        self.assertEqual(2, rsrc.FnGetAtt('remaining_count'))

    def test_in_place_updates_keep_the_job(self):
        stk, job = self.create_job(pattern='0 0 1 1 *')
        job_id = job['id']
        self.update(stk, pattern='* * * * * */2', name='renamed',
                    input={'a': 1}, enabled=False)
        self.assertEqual(job_id, stk['job'].resource_id)
        job = self.qinling.jobs[job_id]
        self.assertEqual(('* * * * * */2', 'renamed', '{"a": 1}', 'paused'),
                         (job['pattern'], job['name'], job['function_input'],
                          job['status']))

    def test_enable_and_drop_input_in_place(self):
        stk, job = self.create_job(input={'a': 1}, enabled=False)
        self.update(stk)
        self.assertEqual(job['id'], stk['job'].resource_id)
        self.assertEqual(('running', ''),
                         (job['status'], job['function_input']))

    def test_new_pattern_takes_effect_now(self):
        stk, job = self.create_job(pattern='0 0 1 1 *')
        self.update(stk, pattern='* * * * * */2')
        ahead = job['next_execution_time'] - timeutils.utcnow()
        self.assertLessEqual(ahead.total_seconds(), 2)
        self.assertEqual('running', job['status'])

    def assertReplaced(self, stk, old_id):
        new_id = stk['job'].resource_id
        self.assertNotEqual(old_id, new_id)
        self.assertEqual([new_id], list(self.qinling.jobs))

    def test_changes_qinling_ignores_replace_the_job(self):
        stk, job = self.create_job()
        for props in ({'count': 4}, {'function_version': 0, 'count': 5},
                      {'count': 5, 'first_execution_time': _in(3600)}):
            old = stk['job'].resource_id
            self.update(stk, **props)
            self.assertReplaced(stk, old)

    def test_target_change_replaces_the_job(self):
        fn = self.add_function('outside')
        self.qinling.add_alias('live', fn, 0)
        stk, job = self.create_job()
        self.update(stk, function=None, function_alias='live')
        self.assertReplaced(stk, job['id'])
        self.assertEqual('live', self.qinling.jobs[
            stk['job'].resource_id]['function_alias'])

    def test_cron_to_one_shot_replaces_the_job(self):
        stk, job = self.create_job()
        self.update(stk, pattern=None, first_execution_time=_in(3600))
        self.assertReplaced(stk, job['id'])
        self.assertEqual(1, self.qinling.jobs[stk['job'].resource_id][
            'count'])

    def test_finished_job_is_replaced_on_any_change(self):
        stk, job = self.create_job(count=1)
        self.qinling.fire_job(job['id'])
        self.assertEqual('done', stk['job'].FnGetAtt('status'))
        self.update(stk, count=1, name='again')
        self.assertReplaced(stk, job['id'])
        self.assertEqual('running', self.qinling.jobs[
            stk['job'].resource_id]['status'])

    def test_update_keeping_a_passed_first_time_validates(self):
        first = _in(3600)
        stk, job = self.create_job(first_execution_time=first)
        # Two hours later, the time the job was made with has passed.
        timeutils.set_time_override(timeutils.utcnow() +
                                    datetime.timedelta(hours=2))
        self.addCleanup(timeutils.clear_time_override)
        del self.qinling.requests[:]
        self.updated_stack(stk, first_execution_time=first).validate()
        # A new time must be ahead, in an update as at create.
        self.assertValidationFails(
            self.updated_stack(stk, first_execution_time=_in(-60)),
            'properties.first_execution_time', 'at least a minute ahead')

    def test_replacing_with_a_passed_first_time_fails_before_writing(self):
        stk, job = self.create_job()
        self.update(stk, expected='FAILED', first_execution_time=_in(-60))
        self.assertIn('at least a minute ahead', stk.status_reason)
        self.assertEqual([job['id']], list(self.qinling.jobs))

    def test_suspend_pauses_and_resume_resumes(self):
        stk, job = self.create_job()
        stk.suspend()
        self.assertCompletes(stk, stk.SUSPEND)
        self.assertEqual('paused', job['status'])
        stk.resume()
        self.assertCompletes(stk, stk.RESUME)
        self.assertEqual('running', job['status'])

    def test_resume_keeps_a_disabled_job_paused(self):
        stk, job = self.create_job(enabled=False)
        stk.suspend()
        stk.resume()
        self.assertEqual((stk.RESUME, stk.COMPLETE), stk.state)
        self.assertEqual('paused', job['status'])

    def test_suspend_and_resume_leave_a_finished_job(self):
        stk, job = self.create_job(count=1)
        self.qinling.fire_job(job['id'])
        stk.suspend()
        stk.resume()
        self.assertCompletes(stk, stk.RESUME)
        self.assertEqual('done', job['status'])

    def test_resume_of_a_one_shot_job_too_close_says_what_to_do(self):
        stk, job = self.create_job(pattern=None,
                                   first_execution_time=_in(3600))
        stk.suspend()
        job['next_execution_time'] = (timeutils.utcnow() +
                                      datetime.timedelta(seconds=10))
        stk.resume()
        self.assertFailsWith(stk, stk.RESUME,
                             'Set a new "first_execution_time"')

    def test_delete_removes_finished_jobs_too(self):
        stk, job = self.create_job(count=1)
        self.qinling.fire_job(job['id'])
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())

    def test_delete_of_a_job_gone_outside_heat(self):
        stk, job = self.create_job()
        del self.qinling.jobs[job['id']]
        stk.delete()
        self.assertEqual((stk.DELETE, stk.COMPLETE), stk.state)
        self.assertEqual({}, self.qinling.leftovers())

    def test_check(self):
        stk, job = self.create_job()
        stk.check()
        self.assertCompletes(stk, stk.CHECK)
        job['status'] = 'cancelled'
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, 'cancelled outside Heat')

    def test_check_alias_gone(self):
        fn = self.add_function('outside')
        self.qinling.add_alias('live', fn, 0)
        stk, job = self.create_job(function=None, function_alias='live')
        del self.qinling.aliases['live']
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, 'live')

    def test_live_state(self):
        stk, job = self.create_job(input={'a': 1})
        rsrc = stk['job']
        live = rsrc.get_live_state(rsrc.properties)
        self.assertEqual({'pattern': '*/5 * * * *', 'enabled': True,
                          'input': {'a': 1}}, live)
        job.update(status='paused', pattern='0 * * * *')
        live = rsrc.get_live_state(rsrc.properties)
        self.assertEqual((False, '0 * * * *'),
                         (live['enabled'], live['pattern']))


class FunctionHeldByJobTest(base.QinlingStackTestCase):
    """Function errors caused by jobs name the jobs."""

    def fn_stack(self, code=FN_CODE):
        tmpl = copy.deepcopy(job_template())
        del tmpl['resources']['job']
        tmpl['resources']['fn']['properties']['files'] = code
        return self.parse_stack(tmpl, name='fn')

    def test_finished_job_blocks_function_delete_and_is_named(self):
        stk = self.create(self.fn_stack())
        fn = stk['fn'].resource_id
        job = self.qinling.add_job(fn, status='done')
        stk.delete()
        # Qinling's own answer is a database error: its SQL stays out.
        self.assertFailsWith(stk, stk.DELETE, 'job(s) %s (done)' % job,
                             'database', 'qinling-api log')
        self.assertNotIn('FOREIGN KEY', stk.status_reason)

    def test_running_job_blocks_function_delete_and_is_named(self):
        stk = self.create(self.fn_stack())
        job = self.qinling.add_job(stk['fn'].resource_id)
        stk.delete()
        self.assertFailsWith(stk, stk.DELETE, 'job(s) %s (running)' % job)

    def test_job_blocks_code_update_and_is_named(self):
        stk = self.create(self.fn_stack())
        job = self.qinling.add_job(stk['fn'].resource_id, status='paused')
        stk.update(self.fn_stack(
            {'hello_world.py': 'def main(**kw):\n    return 2\n'}))
        self.assertFailsWith(stk, stk.UPDATE, 'job(s) %s (paused)' % job,
                             'alias')

    def test_function_and_its_job_in_one_stack_delete_cleanly(self):
        stk = self.create(self.parse_stack(job_template(count=1)))
        self.qinling.fire_job(stk['job'].resource_id)
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())
