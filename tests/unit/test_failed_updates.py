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

"""After a refused or failed update, the next good update (or a rollback)
brings the stack back with the same Qinling objects: each of the six types
decides whether its FAILED resource must be replaced (only when its object
is gone or broken) and, when it is kept, updates it from what Qinling holds.

One scenario per type; each names a bad value that passes validation and
that Qinling (or the plugin, before writing) refuses at update time.
"""
import copy
import datetime

from oslo_utils import timeutils

from tests.unit import base

CODE = {'hello_world.py': 'def main(**kw):\n    return 1\n'}
NEW_CODE = {'hello_world.py': 'def main(**kw):\n    return 2\n'}
IMAGE = 'openstackqinling/python3-runtime'

FUNCTION = {'type': 'OS::Qinling::Function',
            'properties': {'runtime': 'python3', 'entry': 'hello_world.main',
                           'files': CODE, 'description': 'kept'}}
VERSION = {'type': 'OS::Qinling::Version',
           'properties': {'function': {'get_resource': 'fn'},
                          'code_md5sum': {'get_attr': ['fn', 'code',
                                                       'md5sum']},
                          'description': {'get_param': 'value'}}}


def template(resources, value):
    return {'heat_template_version': '2018-08-31',
            'parameters': {'value': {'type': 'string', 'default': value}},
            'resources': copy.deepcopy(resources)}


def _in(seconds):
    return (timeutils.utcnow() + datetime.timedelta(seconds=seconds)
            ).strftime('%Y-%m-%dT%H:%M:%SZ')


class Case(object):
    """A stack of one type under test, and a bad value of one property.

    ``resources(value)`` is the template's resources, ``value`` the good
    value and ``bad`` the one refused at update time with ``refusal`` in
    the message; ``resource`` the name of the resource under test and
    ``table`` the fake's table of its objects. ``partial`` is a field the
    test changes in Qinling behind Heat's back after the failure, as a
    failure half-way would leave it: (field, value in Qinling, value the
    next update must put back), or None when the type has none.
    """

    resource = None
    table = None
    good = '1'
    bad = '2'
    refusal = None
    partial = None

    def resources(self, value):
        raise NotImplementedError()

    def after_create(self, test, stk):
        """Set up what makes ``bad`` fail (outside the stack)."""

    def before_delete(self, test, stk):
        """Remove what after_create made."""

    def break_object(self, test, object_id):
        """Make the object unusable for an in-place update, or None."""
        return None


class FunctionCase(Case):
    # New code while a job outside the stack runs the function.
    resource, table = 'fn', 'functions'
    refusal = 'while job(s)'
    partial = ('description', 'changed outside', 'kept')

    def resources(self, value):
        fn = copy.deepcopy(FUNCTION)
        fn['properties']['files'] = CODE if value == '1' else NEW_CODE
        return {'fn': fn}

    def after_create(self, test, stk):
        test.outside_job = test.qinling.add_job(stk['fn'].resource_id)

    def before_delete(self, test, stk):
        test.qinling.jobs.pop(test.outside_job, None)


class VersionNumberCase(Case):
    # Version 2 passes validation (the stack's Version could publish it)
    # but the code did not change, so there is no version 2.
    refusal = 'has no version 2'

    def resources(self, value):
        version = copy.deepcopy(VERSION)
        version['properties']['description'] = 'v'
        number = int(value)
        if number == 1:
            number = {'get_attr': ['ver', 'version_number']}
        return {'fn': copy.deepcopy(FUNCTION), 'ver': version,
                self.resource: self.target(number)}


class WebhookCase(VersionNumberCase):
    resource, table = 'hook', 'webhooks'
    partial = ('description', 'changed outside', 'runs a version')

    def target(self, version):
        return {'type': 'OS::Qinling::Webhook',
                'properties': {'function': {'get_resource': 'fn'},
                               'function_version': version,
                               'description': 'runs a version'}}


class AliasCase(VersionNumberCase):
    resource, table = 'alias', 'aliases'
    partial = ('description', 'changed outside', 'live')

    def target(self, version):
        return {'type': 'OS::Qinling::Alias',
                'properties': {'function': {'get_resource': 'fn'},
                               'function_version': version,
                               'description': 'live'}}


class VersionCase(Case):
    # Qinling cannot change a version's description.
    resource, table = 'ver', 'versions'
    good, bad = 'first', 'second'
    refusal = 'cannot change the description'

    def resources(self, value):
        return {'fn': copy.deepcopy(FUNCTION), 'ver': copy.deepcopy(VERSION)}


class JobCase(Case):
    # A paused one-shot job cannot be resumed once its time is less than a
    # minute away.
    resource, table = 'job', 'jobs'
    good, bad = 'false', 'true'
    refusal = 'cannot resume one-shot job'
    partial = ('status', 'running', 'paused')

    def resources(self, value):
        return {'fn': copy.deepcopy(FUNCTION),
                'job': {'type': 'OS::Qinling::Job',
                        'properties': {'function': {'get_resource': 'fn'},
                                       'first_execution_time': FIRST_TIME,
                                       'enabled': value == 'true'}}}

    def after_create(self, test, stk):
        job = test.qinling.jobs[stk['job'].resource_id]
        job['next_execution_time'] = (datetime.datetime.utcnow() +
                                      datetime.timedelta(seconds=30))

    def break_object(self, test, object_id):
        test.qinling.jobs[object_id]['status'] = 'done'
        return True


class RuntimeCase(Case):
    # A new image while a function of the stack uses the runtime.
    resource, table = 'rt', 'runtimes'
    good, bad = IMAGE, IMAGE + '-next'
    refusal = 'still used by'
    partial = ('description', 'changed outside', 'ours')

    def resources(self, value):
        fn = copy.deepcopy(FUNCTION)
        fn['properties']['runtime'] = {'get_resource': 'rt'}
        return {'rt': {'type': 'OS::Qinling::Runtime',
                       'properties': {'image': value,
                                      'description': 'ours'}},
                'fn': fn}

    def break_object(self, test, object_id):
        test.qinling.runtimes[object_id]['status'] = 'error'
        return True


# A one-shot job's time: ahead when the stack is created.
FIRST_TIME = _in(3600)

CASES = [('function', {'case': FunctionCase()}),
         ('webhook', {'case': WebhookCase()}),
         ('alias', {'case': AliasCase()}),
         ('version', {'case': VersionCase()}),
         ('job', {'case': JobCase()}),
         ('runtime', {'case': RuntimeCase()})]


class FailedUpdateTest(base.QinlingStackTestCase):

    scenarios = CASES

    def stack(self, value, rollback=False):
        return self.parse_stack(
            template(self.case.resources(value), value), name='failed',
            disable_rollback=not rollback)

    def objects(self):
        return sorted(getattr(self.qinling, self.case.table))

    def created(self, rollback=False):
        stk = self.create(self.stack(self.case.good, rollback))
        self.case.after_create(self, stk)
        return stk, stk[self.case.resource].resource_id

    def fail_update(self, stk, rollback=False):
        """Update with the bad value; the stack as loaded afterwards."""
        bad = self.as_update_of(stk, self.stack(self.case.bad, rollback))
        # Template validation cannot tell: the value is refused later.
        bad.validate()
        before = self.objects()
        stk.update(bad)
        if not rollback:
            self.assertFailsWith(stk, stk.UPDATE, self.case.refusal)
            self.assertEqual(before, self.objects())
        return self.reload(stk)

    def update(self, stk, value=None):
        stk.update(self.as_update_of(stk, self.stack(value or
                                                     self.case.good)))
        self.assertCompletes(stk, stk.UPDATE)
        return self.reload(stk)

    def delete(self, stk):
        self.case.before_delete(self, stk)
        stk = self.reload(stk)
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())
        self.assertEqual([self.runtime_id], list(self.qinling.runtimes))

    def test_corrected_update_keeps_the_object(self):
        stk, object_id = self.created()
        objects = self.objects()
        stk = self.fail_update(stk)
        stk = self.update(stk)
        self.assertEqual(object_id, stk[self.case.resource].resource_id)
        self.assertEqual(objects, self.objects())
        self.delete(stk)

    def test_rollback_keeps_the_object(self):
        stk, object_id = self.created(rollback=True)
        objects = self.objects()
        stk = self.fail_update(stk, rollback=True)
        self.assertEqual((stk.ROLLBACK, stk.COMPLETE), stk.state,
                         stk.status_reason)
        self.assertEqual(object_id, stk[self.case.resource].resource_id)
        self.assertEqual(objects, self.objects())
        # And the stack takes the next update.
        stk = self.update(stk)
        self.assertEqual(object_id, stk[self.case.resource].resource_id)
        self.delete(stk)

    def test_object_gone_is_replaced(self):
        stk, object_id = self.created()
        stk = self.fail_update(stk)
        table = getattr(self.qinling, self.case.table)
        if self.case.table == 'versions':
            function_id, number = object_id.split('/')
            object_id = (function_id, int(number))
        del table[object_id]
        stk = self.update(stk)
        self.assertNotEqual(object_id, stk[self.case.resource].resource_id)
        self.assertIsNotNone(stk[self.case.resource].resource_id)
        self.delete(stk)

    def test_broken_object_is_replaced(self):
        stk, object_id = self.created()
        stk = self.fail_update(stk)
        if not self.case.break_object(self, object_id):
            # Sound as long as it exists: nothing to break.
            stk = self.update(stk)
            self.assertEqual(object_id, stk[self.case.resource].resource_id)
        else:
            stk = self.update(stk)
            self.assertNotEqual(object_id,
                                stk[self.case.resource].resource_id)
        self.delete(stk)


class PartlyChangedTest(FailedUpdateTest):
    """A failure half-way: the next update starts from what Qinling holds.

    For the types Qinling can change (a version cannot be).
    """

    scenarios = [(name, params) for name, params in CASES
                 if params['case'].partial is not None]

    test_corrected_update_keeps_the_object = None
    test_rollback_keeps_the_object = None
    test_object_gone_is_replaced = None
    test_broken_object_is_replaced = None

    def test_next_update_starts_from_what_qinling_holds(self):
        field, changed, expected = self.case.partial
        stk, object_id = self.created()
        stk = self.fail_update(stk)
        getattr(self.qinling, self.case.table)[object_id][field] = changed
        stk = self.update(stk)
        self.assertEqual(object_id, stk[self.case.resource].resource_id)
        self.assertEqual(expected, getattr(
            self.qinling, self.case.table)[object_id][field])
        self.delete(stk)


class UnreachableQinlingTest(base.QinlingStackTestCase):
    """Qinling does not answer when the next update decides.

    That update fails (changing nothing), and the stack takes the next one.
    """

    def test_update_fails_then_the_next_keeps_the_webhook(self):
        case = WebhookCase()

        def stack(value):
            return self.parse_stack(template(case.resources(value), value),
                                    name='failed')
        stk = self.create(stack('1'))
        hook = stk['hook'].resource_id
        stk.update(self.as_update_of(stk, stack('2')))
        self.assertFailsWith(stk, stk.UPDATE, 'has no version 2')
        for _attempt in range(2):  # live state, then the decision
            self.qinling.fail_next('GET', '^/v1/webhooks/%s$' % hook, 503,
                                   'Service Unavailable')
        stk.update(self.as_update_of(stk, stack('1')))
        self.assertFailsWith(stk, stk.UPDATE, 'Cannot tell whether',
                             'Update again')
        stk.update(self.as_update_of(stk, stack('1')))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual([hook], list(self.qinling.webhooks))


class QinlingDownTest(base.QinlingStackTestCase):
    """Qinling does not answer while an update changes nothing in it."""

    def test_update_of_the_alarm_alone_completes(self):
        stk = self.create(self.seed_stack())
        self.qinling.server.stop()
        stk.update(self.as_update_of(stk, self.seed_stack(
            params={'alarm_severity': 'critical'})))
        self.assertCompletes(stk, stk.UPDATE)
        [alarm] = self.aodh.alarms.values()
        self.assertEqual('critical', alarm['severity'])

    def test_runtime_lookup_unanswered_fails_and_replaces_nothing(self):
        # heat-engine's convergence compares the new definition with the
        # properties it stored, where the runtime is an ID. While
        # qinling-api restarts, the lookup of the runtime's name may go
        # unanswered (the finder keeps the name) and the validation a
        # moment later succeed: the name is no new runtime.
        from heat.common import exception
        from heat.engine import scheduler
        stk = self.create(self.seed_stack())
        fn = stk['function']
        function_id = fn.resource_id
        self.assertEqual(self.runtime_id, fn.properties['runtime'])
        updated = self.seed_stack(params={'function_timeout': 9})
        del self.qinling.requests[:]
        self.qinling.fail_next('GET', '^/v1/runtimes$', 503,
                               'Service Unavailable')
        ex = self.assertRaises(
            exception.ResourceFailure, scheduler.TaskRunner(
                fn.update, updated.t.resource_definitions(updated)[
                    'function']))
        self.assertIn('Qinling did not answer when runtime "python3" was '
                      'looked up', str(ex))
        self.assertIn('Nothing was changed', str(ex))
        self.assertEqual((fn.UPDATE, fn.FAILED), fn.state)
        self.assertEqual([function_id], list(self.qinling.functions))
        self.assertEqual([], self.qinling.write_requests())

    def test_update_that_needs_qinling_fails_saying_so(self):
        stk = self.create(self.seed_stack())
        self.qinling.server.stop()
        stk.update(self.as_update_of(stk, self.seed_stack(
            params={'function_timeout': 9})))
        self.assertFailsWith(stk, stk.UPDATE, 'Unable to establish '
                             'connection')
