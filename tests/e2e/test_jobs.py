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

"""Jobs and runtimes on the local cloud, through the ``openstack`` CLI as a
user types it: a cron job runs its function (again and again), stack suspend
stops it and resume restarts it; a one-shot job made from the Schedule
trigger template runs once; a runtime made by admin becomes available and a
function on it runs; non-admins may not use the runtime type; a job on an
alias reports the alias's function and passes stack check, and the alias is
kept while a job outside the stack runs it; deleting the stacks leaves
nothing. A background job keeps running throughout, so the
job scheduler is shown to serve the other jobs meanwhile."""
import datetime
import json
import os

import fixtures
from heatclient import exc as heat_exc
from qinlingclient.common import exceptions as qinling_exc

from localcloud import clients
from tests.e2e import base

SCHEDULE = os.path.join(base.TEMPLATES, 'triggers', 'schedule.yaml')
FUNCTION = '''\
  fn:
    type: OS::Qinling::Function
    properties:
      runtime: python3
      entry: main.main
      files:
        main.py: |
          def main(name='World', **kwargs):
              return 'Hello, %s' % name
'''
FUNCTION_AND_JOB = '''\
heat_template_version: 2018-08-31
parameters:
  pattern: {type: string}
  name: {type: string}
resources:
''' + FUNCTION + '''\
  job:
    type: OS::Qinling::Job
    properties:
      function: {get_resource: fn}
      pattern: {get_param: pattern}
      input: {name: {get_param: name}}
outputs:
  function_id: {value: {get_resource: fn}}
  job_id: {value: {get_resource: job}}
'''
RUNTIME_AND_FUNCTION = '''\
heat_template_version: 2018-08-31
resources:
  rt:
    type: OS::Qinling::Runtime
    properties:
      # the local executor serves images of the python3 runtime
      image: localcloud/python3-runtime-e2e
      description: made by the jobs e2e test
  fn:
    type: OS::Qinling::Function
    properties:
      runtime: {get_resource: rt}
      entry: main.main
      files:
        main.py: |
          def main(name='World', **kwargs):
              return 'Hello, %s' % name
outputs:
  runtime_id: {value: {get_resource: rt}}
  runtime_status: {value: {get_attr: [rt, status]}}
  function_id: {value: {get_resource: fn}}
'''
ALIAS_AND_JOB = '''\
heat_template_version: 2018-08-31
resources:
''' + FUNCTION + '''\
  live:
    type: OS::Qinling::Alias
    properties:
      function: {get_resource: fn}
  job:
    type: OS::Qinling::Job
    properties:
      function_alias: {get_attr: [live, name]}
      pattern: '0 0 1 1 *'
outputs:
  function_id: {value: {get_resource: fn}}
  alias_name: {value: {get_attr: [live, name]}}
  job_function_id: {value: {get_attr: [job, function_id]}}
'''
# a one-shot job must be at least 60 s ahead when heat-engine creates it;
# the CLI took up to a minute to get there on a busy machine
ONE_SHOT_LEAD = 150
ONE_SHOT_TIMEOUT = ONE_SHOT_LEAD + 60


class JobsCLITest(base.E2ETestCase):

    def write(self, text, name):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def cli(self, *argv, who='demo'):
        return clients.run_cli(self.cloud, ['openstack'] + list(argv),
                               who=who, echo=False)[1]

    def cli_create(self, prefix, path, parameters, who='demo'):
        """``openstack stack create --wait``; the stack, deleted in cleanup."""
        heat = clients.heat(self.cloud, who)
        name = self.unique_name(prefix)
        argv = ['stack', 'create', '--wait', '-f', 'json', '-t', path]
        for key, value in sorted(parameters.items()):
            argv += ['--parameter', '%s=%s' % (key, value)]
        code, out = clients.run_cli(self.cloud, ['openstack'] + argv + [name],
                                    who=who, echo=False, check=False)
        try:
            stack = heat.stacks.get(name)
        except heat_exc.HTTPNotFound:
            stack = None
        if stack is not None:
            self.addCleanup(self.cli_delete, stack.id, who, True)
        self.assertEqual(0, code, out)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        return stack

    def cli_delete(self, stack_id, who='demo', cleanup=False):
        heat = clients.heat(self.cloud, who)
        try:
            heat.stacks.get(stack_id)
        except heat_exc.HTTPNotFound:
            return
        code, out = clients.run_cli(
            self.cloud, ['openstack', 'stack', 'delete', '--yes', '--wait',
                         stack_id], who=who, echo=False, check=False)
        if not cleanup:
            self.assertEqual(0, code, out)

    def job_runs(self, function_id, job_id):
        """Executions a job made of a function, oldest first."""
        return [e for e in clients.executions(self.qinling, function_id)
                if e.description == 'Created by Job %s' % job_id]

    def wait_runs(self, function_id, job_id, count, timeout=60):
        return clients.wait_for(
            lambda: [r for r in [self.job_runs(function_id, job_id)]
                     if len(r) >= count], timeout,
            '%d run(s) of job %s' % (count, job_id), interval=0.5)[0]

    def test_cron_suspend_resume_one_shot_and_other_jobs(self):
        template = self.write(FUNCTION_AND_JOB, 'function-and-job.yaml')
        # the background job: another function, another schedule
        bg = self.outputs(self.create_stack(
            'e2e-jobs-bg', path=template,
            parameters={'pattern': '* * * * * */3', 'name': 'background'}))

        def background_runs():
            return len(self.job_runs(bg['function_id'], bg['job_id']))

        def background_keeps_running(what):
            before = background_runs()
            clients.wait_for(lambda: background_runs() > before, 30,
                             'the background job to run %s' % what)

        # a one-shot job from the Schedule trigger, on the same function
        first = (datetime.datetime.now(datetime.timezone.utc) +
                 datetime.timedelta(seconds=ONE_SHOT_LEAD))
        once = self.outputs(self.cli_create('e2e-once', SCHEDULE, {
            'function': bg['function_id'], 'pattern': '',
            'first_execution_time': first.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'input': json.dumps({'name': 'once'})}))
        self.assertEqual('running', once['status'])

        cron_stack = self.cli_create('e2e-cron', template, {
            'pattern': '* * * * * */2', 'name': 'cron'})
        cron = self.outputs(cron_stack)
        fn, job = cron['function_id'], cron['job_id']
        self.wait_runs(fn, job, 2)

        self.cli('stack', 'suspend', '--wait', cron_stack.id)
        self.assertEqual('paused', self.qinling.jobs.get(job).status)
        # a run the scheduler had started before the pause may still land
        clients.wait_for(lambda: all(e.status != 'running' for e in
                                     self.job_runs(fn, job)), 30,
                         'the runs of job %s to finish' % job)
        paused_runs = len(self.job_runs(fn, job))
        background_keeps_running('while the cron job is paused')
        background_keeps_running('while the cron job is paused (again)')
        self.assertEqual(paused_runs, len(self.job_runs(fn, job)),
                         'the suspended job ran')

        self.cli('stack', 'resume', '--wait', cron_stack.id)
        self.assertEqual('running', self.qinling.jobs.get(job).status)
        runs = self.wait_runs(fn, job, paused_runs + 2)
        for execution in clients.wait_for(
                lambda: clients.finished_executions(self.qinling, fn,
                                                    len(runs)),
                60, 'the runs of job %s to finish' % job):
            self.assertSucceeded(execution, 'Hello, cron')

        [one] = self.wait_runs(bg['function_id'], once['job_id'], 1,
                               timeout=ONE_SHOT_TIMEOUT)
        [one] = clients.wait_for(
            lambda: [e for e in [self.qinling.function_executions.get(
                one.id)] if e.status != 'running'], 60,
            'execution %s to finish' % one.id)
        self.assertSucceeded(one, 'Hello, once')
        done = self.qinling.jobs.get(once['job_id'])
        self.assertEqual(('done', 0), (done.status, done.count))
        background_keeps_running('after the one-shot job')
        self.assertEqual(1, len(self.job_runs(bg['function_id'],
                                              once['job_id'])))

        self.cli_delete(cron_stack.id)
        self.assertRaises(qinling_exc.HTTPNotFound, self.qinling.jobs.get,
                          job)
        self.assertRaises(qinling_exc.HTTPNotFound,
                          self.qinling.functions.get, fn)
        background_keeps_running('after the cron stack is deleted')

    def test_job_on_an_alias(self):
        # The job reads its alias for its function_id and for stack check;
        # the alias is kept while a job outside the stack still runs it.
        stack = self.cli_create('e2e-job-alias', self.write(
            ALIAS_AND_JOB, 'alias-and-job.yaml'), {})
        out = self.outputs(stack)
        self.assertEqual(out['function_id'], out['job_function_id'])
        self.cli('stack', 'check', '--wait', stack.id)
        checked = self.heat.stacks.get(stack.id)
        self.assertEqual('CHECK_COMPLETE', checked.stack_status,
                         checked.stack_status_reason)

        outside = self.qinling.jobs.create(function_alias=out['alias_name'],
                                           pattern='0 0 1 1 *')
        self.addCleanup(self.delete_job_quietly, outside.id)
        self.heat.stacks.delete(stack.id)
        failed = self.wait_stack(stack.id, 'DELETE_FAILED')
        self.assertIn('alias %s is still in use by job(s) %s (running)'
                      % (out['alias_name'], outside.id),
                      failed.stack_status_reason)
        self.assertEqual(out['function_id'], self.qinling.function_aliases.get(
            out['alias_name']).function_id)
        self.qinling.jobs.delete(outside.id)
        self.cli_delete(stack.id)
        self.assertNotIn(out['alias_name'], [
            a.name for a in self.qinling.function_aliases.list()])

    def delete_job_quietly(self, job_id):
        try:
            self.qinling.jobs.delete(job_id)
        except qinling_exc.HTTPNotFound:
            pass

    def test_runtime_by_admin_runs_a_function(self):
        template = self.write(RUNTIME_AND_FUNCTION, 'runtime.yaml')
        ex = self.assertRaises(
            heat_exc.HTTPForbidden, self.heat.stacks.create,
            stack_name=self.unique_name('e2e-rt-member'), template=open(
                template).read())
        self.assertIn('not authorized to use '
                      'resource_types:OS::Qinling::Runtime', str(ex))

        stack = self.cli_create('e2e-runtime', template, {}, who='admin')
        out = self.outputs(stack)
        admin = clients.qinling(self.cloud, 'admin')
        runtime = admin.runtimes.get(out['runtime_id'])
        self.assertEqual(('available', 'localcloud/python3-runtime-e2e'),
                         (runtime.status, runtime.image))
        execution = admin.function_executions.create(
            function_id=out['function_id'], sync=True,
            input=json.dumps({'name': 'rt'}))
        self.assertSucceeded(execution, 'Hello, rt')

        self.cli_delete(stack.id, who='admin')
        self.assertRaises(qinling_exc.HTTPNotFound, admin.runtimes.get,
                          out['runtime_id'])
        self.assertRaises(qinling_exc.HTTPNotFound, admin.functions.get,
                          out['function_id'])
