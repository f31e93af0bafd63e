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

"""Part ``stacks``: create and delete N seed chains in one stack next to N
chains of three ``OS::Heat::RandomString`` (Heat's own floor), timed from the
request to heat-engine's log line of the end; and the Qinling calls the plugin
makes per chain and operation."""
import json
import os
import shutil
import time

from localcloud.bench import common
from localcloud.bench import logs
from localcloud.bench import templates
from localcloud import config

say = common.say
loadavg = common.loadavg


def failure_reason(heat, stack_id):
    try:
        stack = heat.stacks.get(stack_id)
    except Exception as exc:  # noqa: BLE001 - the reason is all we want
        return 'stack %s: %s' % (stack_id, exc)
    return '%s: %s' % (
        stack.stack_status,
        (stack.stack_status_reason or '')[:300],
    )


def per_resource(counts, n):
    return {k: round(v / n, 2) for k, v in sorted(counts.items())}


def wait_stack(heat, stack_id, action, timeout=900):
    """Poll the stack every 0.1 s until ``action`` is no longer IN_PROGRESS.

    Without its outputs: to resolve them, heat-engine reads the attributes
    of every created resource (for a webhook, a GET to Qinling) at each
    poll, ten times a second, which a user's ``--wait`` (events every 5 s)
    does not do.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stack = heat.stacks.get(stack_id, resolve_outputs=False)
        except Exception as exc:  # noqa: BLE001 - a deleted stack is gone
            if action == 'DELETE' and getattr(exc, 'code', None) == 404:
                return 'DELETE_COMPLETE'
            raise
        if stack.stack_status != action + '_IN_PROGRESS':
            return stack.stack_status
        time.sleep(0.1)
    raise common.BenchmarkError(
        'stack %s still %s_IN_PROGRESS after %d s'
        % (stack_id, action, timeout))


def stack_op(heat, access, engine, name, action, call, stack_id=None):
    """Run one stack operation through Heat's API; (seconds, final status,
    calls, stack ID, stages).

    Timed from the request to the line in which heat-engine logged the
    stack's action complete (or failed); the poll's time if that line is
    missing (a rotated log).
    """
    access.mark()
    engine.mark()
    requested = time.time()
    started = time.monotonic()
    created = call()
    stack_id = stack_id or created['stack']['id']
    status = wait_stack(heat, stack_id, action)
    took = time.monotonic() - started
    time.sleep(0.3)  # the last log lines
    steps = engine.timeline(name, action)
    if steps and steps[-1][1] == 'done':
        took = steps[-1][0] - requested
    else:
        say('stacks: heat-engine\'s log has no end of %s %s: timed by the'
            ' poll' % (action, name))
    return (took, status, access.calls(), stack_id,
            logs.stages(requested, steps))


# how many times a size is measured (the row is the run of median ratio)
REPEATS = {1: 5}
# idle seconds before each measured stack create
SETTLE_S = 2


def run(cloud, workdir, sizes, results):
    """Create and delete N seed chains next to N chains of three RandomStrings,
    through Heat's API (heatclient), timed from the request until heat-engine
    logs the stack complete (``EngineLog``); and the HTTP calls qinling-api
    saw."""
    from heatclient.common import template_utils
    from localcloud import clients
    heat = clients.heat(cloud)
    access = logs.AccessLog(cloud)
    engine = logs.EngineLog(cloud)
    shutil.copytree(os.path.join(config.REPO_DIR, 'templates', 'functions'),
                    os.path.join(workdir, 'functions'), dirs_exist_ok=True)

    def template(name, text):
        path = os.path.join(workdir, name)
        with open(path, 'w') as f:
            f.write(text)
        files, tpl = template_utils.get_template_contents(path)
        return files, tpl

    def measure(n):
        """Create and delete N chains, then N RandomString chains: a row."""
        row = {'n': n, 'resources': 3 * n, 'load_before': loadavg()}
        for kind, text in (('chains', templates.chains(n, 'benchmark.none')),
                           ('random', templates.random_chains(n))):
            files, tpl = template('%s-%d.yaml' % (kind, n), text)
            name = 'bench-%s-%d-%d' % (kind, n, os.getpid())
            # what the previous stack set off in the background (a function's
            # worker starting or stopping) is not billed to this one
            time.sleep(SETTLE_S)
            took, status, calls, stack_id, steps = stack_op(
                heat, access, engine, name, 'CREATE',
                lambda: heat.stacks.create(
                    stack_name=name, template=tpl, files=files))
            if status != 'CREATE_COMPLETE':
                row['%s_failed' % kind] = failure_reason(heat, stack_id)
                say('stacks: %s N=%d: %s' % (kind, n, row['%s_failed' % kind]))
                heat.stacks.delete(stack_id)
                wait_stack(heat, stack_id, 'DELETE')
                break
            row['%s_create_s' % kind] = round(took, 3)
            row['%s_create_stages' % kind] = steps
            if kind == 'chains':
                row['calls_create_per_chain'] = per_resource(calls, n)
            took, status, calls, _, _ = stack_op(
                heat,
                access,
                engine,
                name,
                'DELETE',
                lambda: heat.stacks.delete(stack_id),
                stack_id,
            )
            row['%s_delete_s' % kind] = round(took, 3)
            if kind == 'chains':
                row['calls_delete_per_chain'] = per_resource(calls, n)
        row['load_after'] = loadavg()
        if 'chains_create_s' in row and 'random_create_s' in row:
            row['create_ratio'] = round(
                row['chains_create_s'] / row['random_create_s'], 2
            )
            row['delete_ratio'] = round(
                row['chains_delete_s'] / row['random_delete_s'], 2
            )
        return row

    def show(row, what):
        if 'create_ratio' not in row:
            return
        say(
            'stacks: %sN=%-2d (%2d resources) create: chains %6.2f s,'
            ' RandomString chains %6.2f s, ratio %.2f; delete: %6.2f s vs'
            ' %6.2f s, ratio %.2f (load %s -> %s)'
            % (
                what + ' ' if what else '',
                row['n'],
                row['resources'],
                row['chains_create_s'],
                row['random_create_s'],
                row['create_ratio'],
                row['chains_delete_s'],
                row['random_delete_s'],
                row['delete_ratio'],
                row['load_before'],
                row['load_after'],
            )
        )
        if row['n'] == 1:
            say('stacks:   where the time went (heat-engine\'s log, s): %s'
                % '; '.join(
                    '%s %s' % (kind, ' '.join(
                        '%s %.3f' % stage
                        for stage in row['%s_create_stages' % kind]))
                    for kind in ('chains', 'random')))

    # The first stacks after a start pay for what heat-engine loads on first
    # use (the Qinling and Aodh clients, their plugins) and for cold caches:
    # one pair first, printed, not counted.
    warm_up = measure(1)
    show(warm_up, 'warm-up (not counted):')
    results['stacks_warm_up'] = warm_up
    rows = []
    for n in sizes:
        # one chain is a 1-3 s operation: its ratio is the median of five
        runs = [measure(n) for _ in range(REPEATS.get(n, 1))]
        done = [r for r in runs if 'create_ratio' in r]
        row = (sorted(done, key=lambda r: r['create_ratio'])[len(done) // 2]
               if done else runs[-1])
        if len(runs) > 1:
            for run in runs:
                show(run, 'run')
            row = dict(row, runs=[
                {k: r.get(k) for k in ('create_ratio', 'delete_ratio')}
                for r in runs])
        show(row, 'median' if len(runs) > 1 else '')
        if 'create_ratio' in row:
            say(
                'stacks: N=%d Qinling calls per chain (function + webhook):'
                ' create %s; delete %s'
                % (
                    n,
                    json.dumps(row['calls_create_per_chain']),
                    json.dumps(row['calls_delete_per_chain']),
                )
            )
        rows.append(row)
    results['stacks'] = rows
    try:   # a fresh session: the one above may be long-lived by now
        results['qinling_calls'] = other_calls(
            clients.heat(cloud), access, engine, template
        )
    except Exception as exc:  # noqa: BLE001 - the figures above still count
        say('calls: FAILED: %s: %s' % (type(exc).__name__, exc))
        results['qinling_calls'] = {'failed': str(exc)[:300]}


def other_calls(heat, access, engine, template):
    """Qinling calls of template validate, update (function and webhook
    description), check, for one chain."""
    files, tpl = template('calls.yaml', templates.chains(1, 'benchmark.none'))
    name = 'bench-calls-%d' % os.getpid()
    counts = {}
    access.mark()
    heat.stacks.validate(template=tpl, files=files)
    time.sleep(0.3)
    counts['validate'] = access.calls()
    _, status, calls, stack_id, _ = stack_op(
        heat,
        access,
        engine,
        name,
        'CREATE',
        lambda: heat.stacks.create(stack_name=name, template=tpl, files=files),
    )
    counts['create'] = calls
    try:
        files2, tpl2 = template(
            'calls-2.yaml', templates.chains(1, 'benchmark.none', 'v2')
        )
        _, status, counts['update'], _, _ = stack_op(
            heat,
            access,
            engine,
            name,
            'UPDATE',
            lambda: (
                heat.stacks.update(stack_id, template=tpl2, files=files2)
                or {'stack': {'id': stack_id}}
            ),
            stack_id,
        )
        _, status, counts['check'], _, _ = stack_op(
            heat,
            access,
            engine,
            name,
            'CHECK',
            lambda: (
                heat.actions.check(stack_id) or {'stack': {'id': stack_id}}
            ),
            stack_id,
        )
    finally:
        _, status, counts['delete'], _, _ = stack_op(
            heat,
            access,
            engine,
            name,
            'DELETE',
            lambda: (
                heat.stacks.delete(stack_id) or {'stack': {'id': stack_id}}
            ),
            stack_id,
        )
    for op, calls in counts.items():
        say(
            'calls: one chain (function + webhook), %-8s %s'
            % (op, json.dumps(calls))
        )
    return counts
