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

"""``tools/localcloud demo``: the seed walkthrough, end to end, on the local
cloud.

Brings the cloud up, creates the stack of
``templates/function-webhook-event-alarm.yaml`` with the ``openstack`` CLI as
the demo user, sends the notification Nova sends when a server of the demo
project has been created (``compute.instance.create.end``), which
ceilometer-agent-notification turns into the event Aodh sees, waits for the
function's execution and prints what the seed walkthrough prints: the stack
outputs, the alarm history and the execution with its input (the alarm
payload), its output and its log.

A stack of the same name left by an earlier demo is deleted first, so the demo
can be run again and again and leaves exactly one demo stack behind.
"""
import contextlib
import json
import time

from localcloud import clients
from localcloud import events
from localcloud import exceptions
from localcloud import lifecycle

DEFAULT_STACK_NAME = 'demo-chain'
TEMPLATE = 'templates/function-webhook-event-alarm.yaml'
EVENT_TYPE = 'compute.instance.create.end'
EXPECTED_OUTPUT = 'Hello, World'
# the processes whose logs explain a failure of the chain
CHAIN_LOGS = (
    'heat-engine',
    'ceilometer-agent-notification',
    'aodh-listener',
    'aodh-notifier',
    'qinling-api',
    'qinling-engine',
)


class Walkthrough:
    """The demo's steps, each printed with its duration."""

    def __init__(self, cloud, stack_name, timeout):
        self.cloud = cloud
        self.stack_name = stack_name
        self.timeout = timeout
        self.number = 0
        self.timings = []

    @contextlib.contextmanager
    def step(self, title, logs=CHAIN_LOGS):
        """Print and time one step; on failure print why and the tails of
        ``logs``."""
        self.number += 1
        print('\n==> [%d] %s' % (self.number, title), flush=True)
        started = time.monotonic()
        try:
            yield
        except Exception as exc:
            took = time.monotonic() - started
            print(
                '\n!!! step %d failed after %.1f s: %s\n    %s: %s'
                % (self.number, took, title, type(exc).__name__, exc),
                flush=True,
            )
            for process in logs:
                tail = clients.log_tail(self.cloud, process, lines=20)
                if tail:
                    print('\n--- last lines of %s ---\n%s'
                          % (self.cloud.log_path(process), tail), flush=True)
            raise exceptions.DemoFailed(
                'step %d (%s) failed: %s' % (self.number, title, exc)
            ) from exc
        took = time.monotonic() - started
        self.timings.append((title, took))
        print(
            '<== [%d] %s: done in %.1f s' % (self.number, title, took),
            flush=True,
        )

    def openstack(self, *argv, **kwargs):
        return clients.run_cli(self.cloud, list(argv), **kwargs)

    def run(self):
        cloud = self.cloud
        with self.step(
            'bring the local cloud up (tools/localcloud up)', logs=()
        ):
            lifecycle.up(cloud)

        heat = clients.heat(cloud)
        with self.step(
            'remove the stack %s of an earlier demo, if any' % self.stack_name,
            logs=('heat-engine',),
        ):
            found = [
                s for s in heat.stacks.list(filters={'name': self.stack_name})
            ]
            if found:
                # through the API, polled every 0.5 s (`openstack stack delete
                # --wait` looks every 5 s and has no --poll)
                print(
                    'deleting stack %s (%s)' % (self.stack_name, found[0].id)
                )
                heat.stacks.delete(found[0].id)

                def gone():
                    left = list(
                        heat.stacks.list(filters={'name': self.stack_name})
                    )
                    if left and left[0].stack_status == 'DELETE_FAILED':
                        raise RuntimeError('DELETE_FAILED: %s'
                                           % left[0].stack_status_reason)
                    return not left

                clients.wait_for(gone, self.timeout, 'stack %s to be deleted'
                                 % self.stack_name, interval=0.5)
            else:
                print('none found')

        with self.step('create the stack as the demo user'):
            # --poll 1: the CLI's default looks at the stack every 5 s
            self.openstack(
                'openstack',
                'stack',
                'create',
                '--wait',
                '--poll',
                '1',
                '-t',
                TEMPLATE,
                self.stack_name,
            )

        with self.step('show the stack outputs', logs=('heat-engine',)):
            self.openstack(
                'openstack',
                'stack',
                'output',
                'show',
                self.stack_name,
                '--all',
                '-f',
                'yaml',
            )
            stack = heat.stacks.get(self.stack_name)
            outputs = {
                o['output_key']: o['output_value'] for o in stack.outputs
            }
            missing = {'function_id', 'webhook_url', 'alarm_id'} - set(outputs)
            if missing:
                raise RuntimeError(
                    'the stack has no output(s) %s'
                    % ', '.join(sorted(missing))
                )
            function_id, alarm_id = outputs['function_id'], outputs['alarm_id']

        aodh = clients.aodh(cloud)
        with self.step(
            'wait until aodh-listener sees the new alarm',
            logs=('aodh-listener',),
        ):
            ttl = clients.alarm_cache_ttl(cloud)
            alarm = aodh.alarm.get(alarm_id)
            # the listener reloads a project's alarms at most ttl s after it
            # last did, so ttl s after the alarm was stored it is certainly in
            # the cache
            print(
                'aodh-listener caches alarms for event_alarm_cache_ttl = %g s;'
                ' alarm %s is %s' % (ttl, alarm_id, alarm['state'])
            )
            time.sleep(ttl + 0.5)

        project_id = clients.project_id(cloud)
        with self.step(
                'send Nova\'s %s notification (Ceilometer makes the '
                'event)' % EVENT_TYPE,
                logs=('ceilometer-agent-notification', 'aodh-listener')):
            sent = events.emit(cloud, EVENT_TYPE, project_id,
                               name='new_instance')
            print('notification %s from %s on exchange %s: server %s (%s)'
                  % (sent.message_id, sent.publisher_id, sent.exchange,
                     sent.payload['display_name'],
                     sent.payload['instance_id']))

        qinling = clients.qinling(cloud)
        with self.step('wait for the function execution to finish'):
            found = clients.wait_for(
                lambda: clients.finished_executions(qinling, function_id),
                self.timeout,
                'an execution of function %s that is not running (alarm %s)'
                % (function_id, alarm_id),
            )
            execution = found[-1]
            print('execution %s: %s' % (execution.id, execution.status))

        with self.step(
            'show the alarm history', logs=('aodh-listener', 'aodh-notifier')
        ):
            self.openstack(
                'aodh', 'alarm-history', 'show', alarm_id, '-f', 'yaml'
            )
            history = aodh.alarm_history.get(alarm_id)
            if not any(h['type'] == 'state transition' for h in history):
                raise RuntimeError('the alarm history has no state transition')

        with self.step(
            'show the function execution',
            logs=('aodh-notifier', 'qinling-api', 'qinling-engine'),
        ):
            self.openstack(
                'openstack',
                'function',
                'execution',
                'list',
                '--filter',
                'function_id=%s' % function_id,
                '-f',
                'yaml',
            )
            # Not `execution log show`: the function prints nothing, so its
            # log is "Start/Finished execution" (the hints name the command).
            result = execution.result
            if isinstance(result, str):
                result = json.loads(result or '{}')
            if (
                execution.status != 'success'
                or result.get('output') != EXPECTED_OUTPUT
            ):
                raise RuntimeError(
                    'execution %s is %s with result %s, expected success '
                    'with output %r'
                    % (execution.id, execution.status, result, EXPECTED_OUTPUT)
                )
            print('execution %s: status %s, output %r'
                  % (execution.id, execution.status, result['output']))

    def summary(self):
        width = max(len(t) for t, _ in self.timings)
        print('\nSteps:')
        for title, took in self.timings:
            print('  %s  %6.1f s' % (title.ljust(width), took))


def explore_hints(cloud, stack_name):
    launcher = 'tools/localcloud'
    if cloud.state_dir != cloud.__class__().state_dir:
        launcher += ' --state-dir %s' % cloud.state_dir
    return '''
The chain works: Nova-shaped notification -> Ceilometer event -> Aodh alarm ->
Qinling webhook -> function.

Explore it as the demo user:
    eval "$({lc} env)"
    openstack stack show {stack}
    openstack stack resource list {stack}
    openstack function execution list
    openstack function execution log show <execution ID>
    aodh alarm list
    {lc} emit-event compute.instance.create.end --name web2
      (each matching event runs the function again: the template's
       repeat_actions parameter defaults to true)
    {lc} logs aodh-notifier

Or in a browser, Project > Orchestration > Stacks:
    {horizon}

Stop the cloud, keeping its state:   {lc} down
Remove everything it made:           {lc} destroy
'''.format(lc=launcher, stack=stack_name, horizon='\n    '.join(
        lifecycle.service_hints(cloud, cloud.services())))


def add_arguments(parser):
    """The demo's options (``tools/localcloud demo --help``)."""
    parser.add_argument(
        '--stack-name',
        default=DEFAULT_STACK_NAME,
        help='default: %(default)s (deleted first if it exists)',
    )
    parser.add_argument(
        '--timeout',
        type=float,
        default=60,
        help='seconds to wait for the execution (default: %(default)s)',
    )


def run(cloud, args):
    """Run the demo; raises DemoFailed if a step failed."""
    started = time.monotonic()
    walk = Walkthrough(cloud, args.stack_name, args.timeout)
    try:
        walk.run()
    except exceptions.DemoFailed as exc:
        raise exceptions.DemoFailed('demo: FAILED: %s (after %.1f s)'
                                    % (exc, time.monotonic() - started))
    walk.summary()
    print(explore_hints(cloud, args.stack_name))
    print('demo: done in %.1f s' % (time.monotonic() - started), flush=True)
    return 0
