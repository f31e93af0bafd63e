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

"""A stack never wedges: failed updates of each of the six types on the
local cloud, then the next update (or a rollback) brings the stack back with
the same Qinling objects and webhook URLs, nothing duplicated, and deleting
it leaves nothing.

One stack per type (the runtime's as admin), all six driven together so a
fault costs one restart for all of them; what goes wrong is collected per
type and phase, so one failing type does not hide the others. The faults:

* a refused update: a bad value that passes template validation (Qinling,
  or the plugin before writing, refuses it at update time); then the
  corrected update, and the same with ``--rollback enabled``;
* qinling-api stopped in the middle of an update, then started: each stack
  has a ``gate`` (OS::Heat::TestResource that waits on update) just before
  the resource under test, and qinling-api is stopped while the gates wait.
  With rollback, the gates wait longer on the way back (their previous
  ``gate_wait``) and qinling-api is started meanwhile;
* heat-engine SIGKILLed while the resources under test are being updated,
  then started; Heat leaves the stacks IN_PROGRESS, and the next update
  takes over. What each resource was doing at the kill is recorded in the
  test's details (``status-at-kill``).
"""
import collections
import json
import threading

from qinlingclient.common import exceptions as qinling_exc
from testtools import content

from localcloud import clients
from tests.e2e import base

CODE = '''def main(**kwargs):
    return %r
'''
IMAGE = 'localcloud/python3-runtime-e2e'
# The gates' waits (s): long while the stacks rest, so that a rollback
# waits there while qinling-api starts again; short on the way forward.
REST_WAIT, FORWARD_WAIT = 20, 10
KILL_ROUNDS = 2
FUNCTION = {'type': 'OS::Qinling::Function',
            'properties': {'runtime': 'python3', 'entry': 'main.main',
                           'files': {'main.py': CODE % 'v1'}}}


def _copy(snippet):
    return json.loads(json.dumps(snippet))


def function(**props):
    fn = _copy(FUNCTION)
    fn['properties'].update(props)
    return fn


def version():
    return {'type': 'OS::Qinling::Version',
            'properties': {'function': {'get_resource': 'fn'},
                           'code_md5sum': {'get_attr': ['fn', 'code',
                                                        'md5sum']}}}


BAD = {'equals': [{'get_param': 'value'}, 'bad']}


class Kind(object):
    """One type under test: its stack, its bad value, what it must keep.

    ``resources()`` are the stack's resources but the gate; the resource
    under test (``tested``) is given ``depends_on: gate`` and the gate
    ``depends_on`` the others it needs (``before_gate``). ``value`` is
    "good" or "bad" (refused with ``refusal`` in the message); ``note``
    changes something the resource updates (its description, a job's
    pattern, a function's code). ``kept`` names the resources whose
    physical ID must never change; ``counts`` what Qinling holds for the
    stack's functions.
    """

    admin = False
    before_gate = ()
    url_of = None

    def template(self):
        resources = self.resources()
        resources[self.tested]['depends_on'] = 'gate'
        resources['gate'] = {
            'type': 'OS::Heat::TestResource',
            'depends_on': list(self.before_gate),
            'properties': {'value': {'get_param': 'gate_value'},
                           'action_wait_secs': {
                               'update': {'get_param': 'gate_wait'}}}}
        return {'heat_template_version': '2018-08-31',
                'parameters': {
                    'value': {'type': 'string', 'default': 'good'},
                    'note': {'type': 'string', 'default': note(self, 0)},
                    'gate_value': {'type': 'string', 'default': 'g0'},
                    'gate_wait': {'type': 'number', 'default': REST_WAIT}},
                'conditions': {'bad': BAD},
                'resources': resources}


class FunctionKind(Kind):
    # New code while a job of the stack runs the function.
    name, tested = 'function', 'fn'
    refusal = 'while job(s)'
    kept = ('fn', 'job')
    counts = {'functions': 1, 'jobs': 1}

    def resources(self):
        return {
            'fn': function(description={'get_param': 'note'}, files={
                'main.py': {'if': ['bad', CODE % 'v2', CODE % 'v1']}}),
            'job': {'type': 'OS::Qinling::Job',
                    'properties': {'function': {'get_resource': 'fn'},
                                   'pattern': '0 0 1 1 *'}}}


class WebhookKind(Kind):
    # Version 2 passes validation (the stack's version could publish it),
    # but the code did not change: there is no version 2.
    name, tested = 'webhook', 'hook'
    refusal = 'has no version 2'
    before_gate = ('fn', 'ver')
    kept = ('fn', 'ver', 'hook')
    counts = {'functions': 1, 'versions': 1, 'webhooks': 1}
    url_of = 'hook'

    def resources(self):
        return {'fn': function(), 'ver': version(), 'hook': {
            'type': 'OS::Qinling::Webhook',
            'properties': {
                'function': {'get_resource': 'fn'},
                'function_version': {'if': [
                    'bad', 2, {'get_attr': ['ver', 'version_number']}]},
                'description': {'get_param': 'note'}}}}


class AliasKind(Kind):
    # The same version 2, on the alias a webhook runs.
    name, tested = 'alias', 'alias'
    refusal = 'has no version 2'
    before_gate = ('fn', 'ver')
    kept = ('fn', 'ver', 'alias', 'hook')
    counts = {'functions': 1, 'versions': 1, 'aliases': 1, 'webhooks': 1}
    url_of = 'hook'

    def resources(self):
        alias = {'type': 'OS::Qinling::Alias',
                 'properties': {
                     'function': {'get_resource': 'fn'},
                     'function_version': {'if': [
                         'bad', 2, {'get_attr': ['ver', 'version_number']}]},
                     'description': {'get_param': 'note'}}}
        hook = {'type': 'OS::Qinling::Webhook',
                'properties': {'function_alias': {
                    'get_attr': ['alias', 'name']}}}
        return {'fn': function(), 'ver': version(), 'alias': alias,
                'hook': hook}


class VersionKind(Kind):
    # Qinling cannot change a version's description. The faults hit the
    # release chain at the function (the gate stands before it): a version
    # is replaced to publish new code, and Heat 27's convergence engine
    # does not finish an update that has to replace a resource whose
    # create or replacement heat-engine died in (doc/source/reference.rst,
    # "After a failed update"), so the function's description changes
    # instead.
    name, tested = 'version', 'fn'
    refusal = 'cannot change the description'
    kept = ('fn', 'ver')
    counts = {'functions': 1, 'versions': 1}

    def resources(self):
        ver = version()
        ver['properties']['description'] = {
            'if': ['bad', 'changed', 'published']}
        return {'fn': function(description={'get_param': 'note'}),
                'ver': ver}


class JobKind(Kind):
    # Version 2 again, for a job: the job is replaced (a new target) and
    # the replacement is refused before it is written; the job stays.
    name, tested = 'job', 'job'
    refusal = 'has no version 2'
    before_gate = ('fn', 'ver')
    kept = ('fn', 'ver', 'job')
    counts = {'functions': 1, 'versions': 1, 'jobs': 1}

    def resources(self):
        return {'fn': function(), 'ver': version(), 'job': {
            'type': 'OS::Qinling::Job',
            'properties': {
                'function': {'get_resource': 'fn'},
                'function_version': {'if': [
                    'bad', 2, {'get_attr': ['ver', 'version_number']}]},
                'pattern': {'str_replace': {
                    'template': '0 0 1 1 *',
                    'params': {'1 1': {'get_param': 'note'}}}}}}}


class RuntimeKind(Kind):
    # A new image while the stack's function uses the runtime.
    name, tested = 'runtime', 'rt'
    admin = True
    refusal = 'still used by'
    kept = ('rt', 'fn')
    counts = {'functions': 1}

    def resources(self):
        fn = function(runtime={'get_resource': 'rt'})
        return {'rt': {'type': 'OS::Qinling::Runtime',
                       'properties': {
                           'image': {'if': ['bad', IMAGE + '-next', IMAGE]},
                           'description': {'get_param': 'note'}}},
                'fn': fn}


KINDS = [FunctionKind(), WebhookKind(), AliasKind(), VersionKind(),
         JobKind(), RuntimeKind()]
# A job's note is the day and month of its yearly pattern.
NOTES = {'job': lambda n: '%d %d' % (n + 1, n + 1)}


def note(kind, n):
    return NOTES.get(kind.name, lambda n: 'n%d' % n)(n)


class MatrixBase(base.E2ETestCase):
    """Drives one stack per type together; failures collected per type."""

    def setUp(self):
        super().setUp()
        self.heats = {False: self.heat,
                      True: clients.heat(self.cloud, 'admin')}
        self.qinlings = {False: self.qinling,
                         True: clients.qinling(self.cloud, 'admin')}
        self.failures = collections.OrderedDict()
        self.stacks = {}

    # -- per-type bookkeeping ---------------------------------------------
    def live(self):
        """The kinds that have not failed yet."""
        return [k for k in KINDS if k.name not in self.failures]

    def each(self, phase, check, kinds=None):
        """Run ``check(kind)`` for each kind; record what fails."""
        for kind in kinds or self.live():
            try:
                check(kind)
            except Exception as ex:  # noqa: BLE001 - reported per type
                self.failures[kind.name] = '%s: %s: %s' % (
                    phase, type(ex).__name__, ex)

    def assertNoFailures(self):
        self.assertEqual({}, dict(self.failures))

    # -- stacks ---------------------------------------------------------------
    def create_all(self):
        for kind in KINDS:
            created = self.heats[kind.admin].stacks.create(
                stack_name=self.unique_name('e2e-failed-%s' % kind.name),
                template=json.dumps(kind.template()), disable_rollback=True)
            self.stacks[kind.name] = created['stack']['id']
            self.addCleanup(self.delete_quietly, kind)
        self.each('create', lambda k: self.settle(k, 'CREATE_COMPLETE'))

    def delete_quietly(self, kind):
        heat = self.heats[kind.admin]
        try:
            heat.stacks.delete(self.stacks[kind.name])
        except Exception:  # noqa: BLE001 - cleanup of a gone stack
            pass

    def send(self, kind, rollback=False, **params):
        self.heats[kind.admin].stacks.update(
            self.stacks[kind.name], template=json.dumps(kind.template()),
            parameters=params, disable_rollback=not rollback)

    def settle(self, kind, expected):
        heat = self.heats[kind.admin]
        stack_id = self.stacks[kind.name]

        def settled():
            stack = heat.stacks.get(stack_id)
            if stack.stack_status.endswith('_IN_PROGRESS'):
                return None
            return stack
        stack = clients.wait_for(settled, base.STACK_TIMEOUT,
                                 '%s stack to settle' % kind.name,
                                 interval=0.5)
        if stack.stack_status != expected:
            raise AssertionError('%s, not %s: %s' % (
                stack.stack_status, expected, stack.stack_status_reason))
        return stack

    def resource(self, kind, name):
        return self.heats[kind.admin].resources.get(self.stacks[kind.name],
                                                    name)

    def states(self):
        found = {}

        def read(kind):
            found[kind.name] = self.state(kind)
        self.each('before', read)
        return found

    def state(self, kind):
        """Physical IDs of the kept resources, and the webhook URL."""
        ids = {name: self.resource(kind, name).physical_resource_id
               for name in kind.kept}
        if kind.url_of:
            ids['url'] = self.qinling.webhooks.get(
                self.resource(kind, kind.url_of).physical_resource_id
            ).webhook_url
        return ids

    def counts(self, kind):
        """What Qinling holds for the stack's functions, by kind."""
        qinling = self.qinlings[kind.admin]
        functions = [r.physical_resource_id for r in
                     self.heats[kind.admin].resources.list(
                         self.stacks[kind.name])
                     if r.resource_type == 'OS::Qinling::Function']
        found = {'functions': len(functions)}
        for fid in functions:
            counted = (
                ('versions', qinling.function_versions.list(fid)),
                ('aliases', [a for a in qinling.function_aliases.list()
                             if a.function_id == fid]),
                ('webhooks', [w for w in qinling.webhooks.list()
                              if w.function_id == fid or
                              getattr(w, 'function_alias', None) in {
                                  a.name for a in
                                  qinling.function_aliases.list()
                                  if a.function_id == fid}]),
                ('jobs', [j for j in qinling.jobs.list()
                          if j.function_id == fid]))
            for what, items in counted:
                if items:
                    found[what] = found.get(what, 0) + len(items)
        return found

    def check_kept(self, kind, before, phase):
        after = self.state(kind)
        if after != before:
            raise AssertionError('%s changed %s into %s' % (phase, before,
                                                            after))
        counts = self.counts(kind)
        if counts != kind.counts:
            raise AssertionError('%s left %s, not %s' % (phase, counts,
                                                         kind.counts))

    def delete_all(self):
        """Delete every stack; check nothing of theirs is left."""
        made = {}
        for kind in KINDS:
            made[kind.name] = self.objects(kind)
            self.heats[kind.admin].stacks.delete(self.stacks[kind.name])

        def gone(kind):
            self.settle_deleted(kind)
            left = [o for o in made[kind.name] if self.exists(kind, o)]
            if left:
                raise AssertionError('left after delete: %s' % left)
        self.each('delete', gone, kinds=KINDS)

    def objects(self, kind):
        return [(r.resource_type, r.physical_resource_id) for r in
                self.heats[kind.admin].resources.list(self.stacks[kind.name])
                if r.physical_resource_id and
                r.resource_type.startswith('OS::Qinling::')]

    def exists(self, kind, obj):
        qinling = self.qinlings[kind.admin]
        rtype, object_id = obj
        read = {'OS::Qinling::Function': qinling.functions.get,
                'OS::Qinling::Webhook': qinling.webhooks.get,
                'OS::Qinling::Alias': qinling.function_aliases.get,
                'OS::Qinling::Job': qinling.jobs.get,
                'OS::Qinling::Runtime': qinling.runtimes.get,
                'OS::Qinling::Version': lambda i: qinling.function_versions
                .get(*i.rsplit('/', 1))}[rtype]
        try:
            read(object_id)
        except qinling_exc.HTTPNotFound:
            return False
        return True

    def settle_deleted(self, kind):
        from heatclient import exc as heat_exc
        heat = self.heats[kind.admin]

        def deleted():
            try:
                stack = heat.stacks.get(self.stacks[kind.name])
            except heat_exc.HTTPNotFound:
                return True
            if stack.stack_status == 'DELETE_FAILED':
                raise AssertionError(stack.stack_status_reason)
            return stack.stack_status == 'DELETE_COMPLETE'
        clients.wait_for(deleted, base.STACK_TIMEOUT,
                         '%s stack to be deleted' % kind.name, interval=0.5)


class RefusedUpdateTest(MatrixBase):
    """A refused update, then the corrected one; with rollback too."""

    def test_every_type_keeps_its_objects(self):
        self.create_all()
        before = self.states()

        def refused(kind, rollback):
            self.send(kind, rollback=rollback, value='bad')

        # With rollback: back to the previous state, same objects.
        self.each('rollback update', lambda k: refused(k, True))
        self.each('rollback', lambda k: (
            self.settle(k, 'ROLLBACK_COMPLETE'),
            self.check_kept(k, before[k.name], 'rollback')))
        # Without: the update fails; the corrected one completes.
        self.each('refused update', lambda k: refused(k, False))
        self.each('refused', lambda k: self.settle(k, 'UPDATE_FAILED'))
        self.each('refusal message', self.check_refusal)
        self.each('corrected update', lambda k: self.send(k, value='good'))
        self.each('corrected', lambda k: (
            self.settle(k, 'UPDATE_COMPLETE'),
            self.check_kept(k, before[k.name], 'corrected update')))
        self.delete_all()
        self.assertNoFailures()

    def check_refusal(self, kind):
        reason = self.heats[kind.admin].stacks.get(
            self.stacks[kind.name]).stack_status_reason
        if kind.refusal not in reason:
            raise AssertionError('%r not in %r' % (kind.refusal, reason))
        for internal in ('[SQL', 'Traceback'):
            if internal in reason:
                raise AssertionError('Qinling internals in %r' % reason)


class DisruptiveFailedUpdateTest(MatrixBase):
    """DISRUPTIVE: stops qinling-api and kills heat-engine of this cloud.

    Runs alone: every other test using the cloud meanwhile would fail. A
    runner finds such tests by "Disruptive" in their class name.
    """

    def setUp(self):
        super().setUp()
        self.keep_cloud_up()

    def gates_waiting(self):
        def waiting():
            return all(self.resource(k, 'gate').resource_status ==
                       'UPDATE_IN_PROGRESS' for k in self.live())
        clients.wait_for(waiting, base.STACK_TIMEOUT,
                         'the gates to wait', interval=0.1)

    def kept(self, kind, before, phase):
        self.check_kept(kind, before, phase)

    def test_qinling_api_stopped_then_heat_engine_killed(self):
        self.create_all()
        before = self.states()

        # qinling-api stops while the gates wait; the rollback waits at
        # the gates (REST_WAIT) while it starts again.
        self.each('update (rollback)', lambda k: self.send(
            k, rollback=True, note=note(k, 1), gate_value='g1',
            gate_wait=FORWARD_WAIT))
        self.gates_waiting()
        self.stop_process('qinling-api')
        self.each('failed', self.rolling_back)
        self.start_missing()
        self.each('rolled back', lambda k: (
            self.settle(k, 'ROLLBACK_COMPLETE'),
            self.check_kept(k, before[k.name], 'rollback')))

        # Without rollback: the update fails; started again, the same
        # update completes.
        self.each('update', lambda k: self.send(
            k, note=note(k, 2), gate_value='g2', gate_wait=FORWARD_WAIT))
        self.gates_waiting()
        self.stop_process('qinling-api')
        self.each('failed', lambda k: self.settle(k, 'UPDATE_FAILED'))
        self.start_missing()
        self.each('update again', lambda k: self.send(
            k, note=note(k, 2), gate_value='g2', gate_wait=FORWARD_WAIT))
        self.each('updated', lambda k: (
            self.settle(k, 'UPDATE_COMPLETE'),
            self.kept(k, before[k.name], 'update after qinling-api')))

        # heat-engine killed while resources under test update, then the
        # same update again; up to KILL_ROUNDS rounds, each for the types
        # no kill has caught in the middle of their update yet.
        caught, rounds = set(), []
        for number in range(KILL_ROUNDS):
            kinds = [k for k in self.live() if k.name not in caught]
            if not kinds:
                break
            self.each('update', lambda k: self.send(
                k, note=note(k, 3 + number), gate_value='g2',
                gate_wait=FORWARD_WAIT), kinds=kinds)
            at_kill = self.kill_engine_during_updates(kinds)
            rounds.append(at_kill)
            caught |= {name for name, status in at_kill.items()
                       if status == 'UPDATE_IN_PROGRESS'}
            self.start_missing()
            self.each('update after the kill', lambda k: self.send(
                k, note=note(k, 3 + number), gate_value='g2',
                gate_wait=FORWARD_WAIT), kinds=kinds)
            self.each('updated after the kill', lambda k: (
                self.settle(k, 'UPDATE_COMPLETE'),
                self.kept(k, before[k.name], 'update after heat-engine')),
                kinds=[k for k in kinds if k.name not in self.failures])
        self.addDetail('status-at-kill', content.text_content(
            json.dumps(rounds, indent=1, sort_keys=True)))

        self.delete_all()
        self.assertNoFailures()

    def rolling_back(self, kind):
        """Wait until the stack's update failed and its rollback began."""
        heat = self.heats[kind.admin]
        status = clients.wait_for(
            lambda: [s for s in [heat.stacks.get(
                self.stacks[kind.name]).stack_status]
                if s.startswith('ROLLBACK_') or s == 'UPDATE_COMPLETE'],
            base.STACK_TIMEOUT, 'the %s stack to roll back' % kind.name,
            interval=0.2)[0]
        if status != 'ROLLBACK_IN_PROGRESS':
            raise AssertionError('%s, not rolling back' % status)

    def kill_engine_during_updates(self, kinds):
        """SIGKILL heat-engine as soon as a tested resource is updating.

        Returns what each resource under test was doing just before. The
        watchers stop before the kill: heat-api would hold a request that
        needs the engine until its RPC times out.
        """
        seen, done = {}, set()
        stop = threading.Event()

        def watch(kind):
            heat = self.heats[kind.admin]
            while not stop.is_set():
                status = self.resource(kind, kind.tested).resource_status
                seen[kind.name] = status
                if status == 'UPDATE_IN_PROGRESS':
                    stop.set()
                elif not heat.stacks.get(self.stacks[kind.name]
                                         ).stack_status.endswith(
                                             '_IN_PROGRESS'):
                    done.add(kind.name)
                    if len(done) == len(kinds):
                        stop.set()  # none caught: kill all the same
                    return
                stop.wait(0.02)
        watchers = [threading.Thread(target=watch, args=(k,))
                    for k in kinds]
        for thread in watchers:
            thread.start()
        stop.wait(base.STACK_TIMEOUT)
        stop.set()
        for thread in watchers:
            thread.join()
        self.kill_process('heat-engine')
        return dict(seen)
