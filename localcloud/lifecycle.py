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

"""The lifecycle of the local cloud (devstack's stack.sh / unstack.sh):
install, up, status, down, destroy, and the commands around them (env, logs,
emit-event).

The command line (``localcloud.cli``), the demo, the benchmark and the tests
call these functions; the services (``localcloud.services``) and the supervisor
do the work.
"""
import concurrent.futures
import dataclasses
import json
import os
import subprocess
import time

from localcloud import clients
from localcloud import events
from localcloud import exceptions
from localcloud import services as services_mod
from localcloud.services import base
from localcloud.services import common
from localcloud.util import apt
from localcloud.util import files
from localcloud.util import steps
from localcloud.util import venv

# What the main venv holds besides its services' requirements: the clients
# that localcloud.clients, the demo and the end-to-end tests use, and the
# test tools.
TOOL_REQUIREMENTS = (
    'python-openstackclient',
    'python-heatclient',
    'aodhclient',
    'oslotest',
    'stestr',
    'requests-mock',
    'selenium',
    'testscenarios',
)
APT = 'apt'
CLI = 'cli'


def venv_plan(cloud, services):
    """{venv dir name: (requirements, no_deps, editable)} of every venv the
    services declare; the main venv also gets ``TOOL_REQUIREMENTS``."""
    plan = {base.MAIN_VENV: ([], [], [])}
    plan[base.MAIN_VENV][0].extend(TOOL_REQUIREMENTS)
    for service in services:
        if not service.venv:
            continue
        reqs, no_deps, editable = plan.setdefault(service.venv, ([], [], []))
        for target, items in (
                (reqs, service.requirements),
                (no_deps, service.requirements_no_deps),
                (editable, service.editable_requirements(cloud))):
            target.extend(i for i in items if i not in target)
    return plan


def missing_apt_packages(services):
    """The Debian packages of the services whose probes are not all
    there."""
    return sorted({p for s in services if s.apt_packages
                   and not all(os.path.exists(x) for x in s.apt_probes)
                   for p in s.apt_packages})


def _submit_installs(cloud, services, pool):
    """Start every install step at once: the one apt transaction (first),
    each venv, the client venv. {APT | venv name | CLI: future}."""
    uv = venv.ensure_uv(cloud.venv)
    futures = {}
    packages = missing_apt_packages(services)
    if packages:
        futures[APT] = pool.submit(apt.install, packages)
    for name, (reqs, no_deps, editable) in venv_plan(cloud, services).items():
        what = 'main' if name == base.MAIN_VENV else name.replace('-venv', '')
        # the main venv's bytecode compiled whole: Keystone's four first
        # commands, which every other service waits for, start from it at
        # once; the other venvs' processes write the bytecode of what they
        # import (util/venv.py)
        futures[name] = pool.submit(
            venv.ensure, uv, os.path.join(cloud.state_dir, name), what, reqs,
            no_deps, editable,
            compile_nice=0 if name == base.MAIN_VENV else None)
    futures[CLI] = pool.submit(clients.ensure_cli, cloud, uv)
    return futures


def _installed(service, installs):
    """The install futures a service needs before its own ``install``: its
    apt packages, its venv and (any service that is not backing: its
    bootstrap uses the clients) the main venv."""
    needed = []
    if service.apt_packages and APT in installs:
        needed.append(installs[APT])
    if service.venv:
        needed.append(installs[service.venv])
    if not service.backing:
        needed.append(installs[base.MAIN_VENV])
    return needed


def _install_service(cloud, service, installs):
    for future in _installed(service, installs):
        future.result()
    service.install(cloud)


def install(cloud):
    """Install everything at once: the apt transaction, every venv, the
    client venv, then each service's own install step once what it needs is
    in. Returns [(step, seconds)] of the steps that ran."""
    started = time.monotonic()
    before = len(steps.timings())
    services = cloud.services()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        installs = _submit_installs(cloud, services, pool)
        done = [pool.submit(_install_service, cloud, s, installs)
                for s in services]
        for future in list(installs.values()) + done:
            future.result()
    steps.say(
        'install: everything in place after %.1f s'
        % (time.monotonic() - started)
    )
    return steps.timings()[before:]


def process_port(cloud, name):
    """The port of a process that listens on one of its own, else ''."""
    if name in services_mod.port_offsets():
        return cloud.port(name)
    return ''


def up(cloud):
    """Install and start at once: each service is installed as soon as its
    apt packages and venv are in, and starts as soon as the backing services
    it ``requires`` are up (each in a thread of its own). Each service
    bootstraps as soon as it is healthy; all but the backing services and
    the ``identity`` service also wait for the identity service's
    bootstrap, which registers the service users and the catalog theirs use.
    Returns [(step, seconds)] of the steps that ran."""
    started = time.monotonic()
    before = len(steps.timings())
    if cloud.venv.startswith('/tmp'):
        steps.say(
            'note: the state dir is under /tmp, where stevedore keeps no '
            'entry-point cache: each service and each openstack command '
            'scans every installed package when it starts. A state dir '
            'elsewhere starts faster (localcloud/README.rst, State dir).')
    services = cloud.services()
    identity = next((s for s in services if s.identity), None)
    with concurrent.futures.ThreadPoolExecutor(8) as ipool, \
            concurrent.futures.ThreadPoolExecutor(len(services)) as pool:
        installs = _submit_installs(cloud, services, ipool)
        futures = {}
        for service in services:  # in start order: requirements come first
            needed = [futures[s.name] for s in requirements(service, services)]
            waits_for = (None if service.backing or service.identity
                         or identity is None
                         else futures.get(identity.name))
            futures[service.name] = pool.submit(
                _bring_up, cloud, service, needed, waits_for, installs)
        for future in list(futures.values()) + list(installs.values()):
            future.result()
    print_table(cloud, services)
    steps.say(
        'up: all services healthy after %.1f s' % (time.monotonic() - started)
    )
    for line in access_hints(cloud, services):
        steps.say(line)
    return steps.timings()[before:]


def requirements(service, services):
    """The backing services that must be up before service starts."""
    if service.backing:
        return []
    backing = [s for s in services if s.backing]
    if service.requires is None:
        return backing
    unknown = set(service.requires) - {s.name for s in backing}
    if unknown:
        raise exceptions.ConfigurationError(
            '%s requires %s: not a backing service of this cloud'
            % (service.name, ', '.join(sorted(unknown))))
    return [s for s in backing if s.name in service.requires]


def _bring_up(cloud, service, needed, identity=None, installs=None):
    """Install service once what it needs is in, wait for the required
    services (raising if one failed), then start service; once it is healthy
    and ``identity`` (the identity service's future, if given) is done,
    bootstrap it."""
    if installs is not None:
        _install_service(cloud, service, installs)
    for future in needed:
        future.result()
    _start_service(cloud, service)
    if identity is not None:
        identity.result()
    service.bootstrap(cloud)


def access_hints(cloud, services):
    """Lines telling a user how to reach the cloud: the CLI and, if it runs,
    Horizon."""
    hints = ['CLI as the demo user: eval "$(tools/localcloud env)"']
    return hints + service_hints(cloud, services)


def service_hints(cloud, services):
    """The ``access_hint`` of every service that has one."""
    return [h for h in (s.access_hint(cloud) for s in services) if h]


def _start_service(cloud, service):
    """Configure and start what is not running, then wait until healthy."""
    sup = cloud.supervisor
    if all(sup.running(p.name) for p in service.processes(cloud)) and _healthy(
        service, cloud
    ):
        return
    with steps.step('%s: configure' % service.name):
        service.configure(cloud)
    service.init(cloud)
    common.db_sync(cloud, service)
    procs = service.processes(cloud)
    fresh = []
    for proc in procs:
        if not sup.running(proc.name):
            pid = sup.start(proc, cloud.log_path(proc.name))
            fresh.append(proc.name)
            steps.say(
                '%s: started %s (pid %d, log %s)'
                % (service.name, proc.name, pid, cloud.log_path(proc.name))
            )
    waited = sup.wait_until(
        lambda: _healthy(service, cloud),
        service.start_timeout,
        '%s to become healthy' % service.name,
        name=[p.name for p in procs],
    )
    steps.say('%s: healthy after %.1f s' % (service.name, waited))
    for name in fresh:
        sup.annotate(name, ready_after=round(waited, 1))


def _healthy(service, cloud):
    try:
        return bool(service.healthy(cloud))
    except Exception:  # a probe that raises means not (yet) healthy
        return False


def rows(cloud, services):
    """[(service, process, port, pid, startup, state)] and whether all is
    well."""
    sup = cloud.supervisor
    table, ok = [], True
    for service in services:
        healthy = _healthy(service, cloud)
        for proc in service.processes(cloud):
            pid = sup.running(proc.name)
            rec = sup.record(proc.name) or {}
            if not pid:
                state = 'down'
            else:
                state = 'healthy' if healthy else 'running, unhealthy'
            ok = ok and bool(pid) and healthy
            ready = rec.get('ready_after')
            table.append(
                (
                    service.name,
                    proc.name,
                    process_port(cloud, proc.name),
                    pid or '-',
                    '%.1f' % ready if pid and ready is not None else '-',
                    state,
                )
            )
    return table, ok


def print_table(cloud, services):
    """Print the status table; True if every process is up and healthy."""
    table, ok = rows(cloud, services)
    header = ('SERVICE', 'PROCESS', 'PORT', 'PID', 'STARTUP_S', 'STATE')
    widths = [
        max(len(str(r[i])) for r in table + [header])
        for i in range(len(header))
    ]
    for row in [header] + table:
        print('  '.join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return ok


def down(cloud):
    """Stop the recorded processes: the services in reverse start order, then
    the bus and the key-value store; each tier is signalled at once and waited
    for together."""
    sup = cloud.supervisor
    started = time.monotonic()
    try:
        services = cloud.services()
    except Exception as exc:  # still stop what is recorded
        steps.say(
            'down: cannot load the service list (%s); stopping recorded PIDs'
            ' only' % exc
        )
        services = []
    tiers = [[], []]
    for service in reversed(services):
        tiers[service.backing] += [
            p.name for p in reversed(service.processes(cloud))]
    known = tiers[0] + tiers[1]
    tiers[0] = [n for n in sup.names() if n not in known] + tiers[0]
    for names in tiers:
        pids = {n: (sup.record(n) or {}).get('pid') for n in names}
        for name in sup.stop_many(names):
            steps.say('stopped %s (pid %s)' % (name, pids[name]))
    steps.say('down: done in %.1f s' % (time.monotonic() - started))


def status(cloud):
    """Print the status table of every service; True if all is well."""
    return print_table(cloud, cloud.services())


def destroy(cloud):
    """``down``, then remove the state dir (if it looks like one)."""
    state = cloud.state_dir
    if not os.path.isdir(state):
        steps.say('destroy: %s does not exist' % state)
        return
    # decided before `down`, which creates <state>/pids itself
    if not any(
        os.path.exists(os.path.join(state, n))
        for n in ('secrets.json', 'pids', 'venv')
    ):
        raise exceptions.NotAStateDir(
            '%s does not look like a local-cloud state dir; not removing it'
            % state)
    down(cloud)
    with steps.step('removing %s' % state):
        files.rmtree(state)


def env(cloud, who):
    """Print the shell exports that make the openstack CLI act as ``who``."""
    for key, value in clients.cli_env(cloud, who).items():
        print("export %s='%s'" % (key, value))
    print(
        "export PATH='%s':\"$PATH\""
        % os.path.dirname(cloud.client_bin('openstack'))
    )
    for hint in service_hints(cloud, cloud.services()):
        print('# %s' % hint)


def logs(cloud, name, lines, follow):
    """Tail the logs of a service or one process; the exit code of tail."""
    sup = cloud.supervisor
    paths = []
    for service in cloud.services():
        procs = [p.name for p in service.processes(cloud)]
        if name == service.name or name in procs:
            paths += [
                cloud.log_path(p) for p in procs if name in (service.name, p)
            ]
    if not paths and os.path.exists(cloud.log_path(name)):
        paths = [cloud.log_path(name)]
    paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        raise exceptions.NoLog('no log for %r (known: %s)'
                               % (name, ', '.join(sup.names())))
    argv = ['tail', '-n', str(lines)] + (['-F'] if follow else []) + paths
    try:
        return subprocess.call(argv)
    except KeyboardInterrupt:
        return 0


def emit_event(cloud, event_type, project, fields, payload=None,
               direct=False, traits=(), show=False):
    """Send the notification of ``event_type`` (or, ``direct``, an event
    with ``traits`` straight to Aodh) and print its message id."""
    project_id = project or clients.project_id(cloud, 'demo')
    if direct:
        given = [k for k, v in fields.items() if v is not None]
        if given or payload:
            raise exceptions.UsageError(
                '--direct sends traits (--trait), not notification fields '
                '(%s)' % ', '.join(given + (['payload'] if payload else [])))
        parsed = []
        for trait in traits:
            name, sep, value = trait.partition('=')
            name, _, kind = name.partition(':')
            if not sep or kind not in ('',) + tuple(events.TRAIT_TYPES):
                raise exceptions.UsageError(
                    '--trait wants NAME[:TYPE]=VALUE with TYPE one of %s, '
                    'got %r' % (', '.join(events.TRAIT_TYPES), trait))
            parsed.append((name, kind or 'string', value))
        sent = events.emit_direct(cloud, event_type, parsed, project_id)
        print(sent['message_id'])
        if show:
            print(json.dumps(sent, indent=1))
        return
    if traits:
        raise exceptions.UsageError(
            '--trait goes with --direct; a notification takes fields (see '
            'emit-event --help)')
    fields = dict(fields)
    if fields.get('id') is not None:
        fields[_ID_FIELDS.get(events.builder_for(event_type).__name__,
                              'id')] = fields.pop('id')
    sent = events.emit(cloud, event_type, project_id, payload=payload,
                       **fields)
    print(sent.message_id)
    if show:
        print(json.dumps(dataclasses.asdict(sent), indent=1))


# --id names the object of the notification: each builder's own ID field
_ID_FIELDS = {'nova': 'instance_id', 'cinder': 'volume_id',
              'glance': 'image_id', 'neutron': 'port_id'}
