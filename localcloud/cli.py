"""The ``tools/localcloud`` command line: install, up, status, logs, down, destroy, env,
emit-event and demo."""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

from localcloud import config
from localcloud import supervisor as supervisor_mod
from localcloud import util

DEFAULT_START_TIMEOUT = 120


def install(cloud):
    """Independent installs at once: the main venv, the client venv and every service
    whose ``parallel_install`` is true (apt packages, venvs of their own); the other
    services' installs (which may add to the main venv) follow the main venv."""
    started = time.monotonic()
    services = cloud.services()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        main = pool.submit(util.ensure_main_venv, cloud)
        independent = [pool.submit(util.ensure_client_venv, cloud)]
        independent += [pool.submit(s.install, cloud) for s in services
                        if getattr(s, 'parallel_install', False)]
        main.result()
        for service in services:
            if not getattr(service, 'parallel_install', False):
                service.install(cloud)
        for future in independent:
            future.result()
    util.say('install: everything in place after %.1f s' % (time.monotonic() - started))
    return services


def process_port(cloud, name):
    if name in config.PORT_OFFSETS:
        return cloud.port(name)
    return ''


def up(cloud):
    """Install, then start in two waves: the bus, key-value store and database, then
    every API service at once; bootstrap in start order once a wave is healthy."""
    from localcloud import services as services_mod
    started = time.monotonic()
    services = install(cloud)
    backing = [s for s in services if s.name in services_mod.BACKING]
    for wave in (backing, [s for s in services if s not in backing]):
        with concurrent.futures.ThreadPoolExecutor(max(1, len(wave))) as pool:
            for future in [pool.submit(_start_service, cloud, s) for s in wave]:
                future.result()
        for service in wave:
            service.bootstrap(cloud)
    print_table(cloud, services)
    util.say('up: all services healthy after %.1f s' % (time.monotonic() - started))
    for line in access_hints(cloud, services):
        util.say(line)


def access_hints(cloud, services):
    """Lines telling a user how to reach the cloud: the CLI and, if it runs, Horizon."""
    hints = ['CLI as the demo user: eval "$(tools/localcloud env)"']
    if any(s.name == 'horizon' for s in services):
        from localcloud.services import horizon
        hints.append(horizon.login_hint(cloud))
    return hints


def _start_service(cloud, service):
    """Configure and start what is not running, then wait until healthy."""
    sup = cloud.supervisor
    if all(sup.running(p.name) for p in service.processes(cloud)) and _healthy(service, cloud):
        return
    with util.step('%s: configure' % service.name):
        service.configure(cloud)
    service.init(cloud)
    procs = service.processes(cloud)
    fresh = []
    for proc in procs:
        if not sup.running(proc.name):
            pid = sup.start(proc, cloud.log_path(proc.name))
            fresh.append(proc.name)
            util.say('%s: started %s (pid %d, log %s)'
                     % (service.name, proc.name, pid, cloud.log_path(proc.name)))
    timeout = getattr(service, 'start_timeout', DEFAULT_START_TIMEOUT)
    waited = sup.wait_until(lambda: _healthy(service, cloud), timeout,
                            '%s to become healthy' % service.name,
                            name=[p.name for p in procs])
    util.say('%s: healthy after %.1f s' % (service.name, waited))
    for name in fresh:
        sup.annotate(name, ready_after=round(waited, 1))


def _healthy(service, cloud):
    try:
        return bool(service.healthy(cloud))
    except Exception:  # a probe that raises means not (yet) healthy
        return False


def rows(cloud, services):
    """[(service, process, port, pid, startup, state)] and whether all is well."""
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
            table.append((service.name, proc.name, process_port(cloud, proc.name),
                          pid or '-', '%.1f' % ready if pid and ready is not None else '-', state))
    return table, ok


def print_table(cloud, services):
    table, ok = rows(cloud, services)
    header = ('SERVICE', 'PROCESS', 'PORT', 'PID', 'STARTUP_S', 'STATE')
    widths = [max(len(str(r[i])) for r in table + [header]) for i in range(len(header))]
    for row in [header] + table:
        print('  '.join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return ok


def down(cloud):
    """Stop the recorded processes: the services in reverse start order, then the bus
    and the key-value store; each tier is signalled at once and waited for together."""
    from localcloud import services as services_mod
    sup = cloud.supervisor
    started = time.monotonic()
    try:
        services = cloud.services()
    except Exception as exc:  # still stop what is recorded
        util.say('down: cannot load the service list (%s); stopping recorded PIDs only' % exc)
        services = []
    tiers = [[], []]
    for service in reversed(services):
        tiers[service.name in services_mod.BACKING] += [
            p.name for p in reversed(service.processes(cloud))]
    known = tiers[0] + tiers[1]
    tiers[0] = [n for n in sup.names() if n not in known] + tiers[0]
    for names in tiers:
        pids = {n: (sup.record(n) or {}).get('pid') for n in names}
        for name in sup.stop_many(names):
            util.say('stopped %s (pid %s)' % (name, pids[name]))
    util.say('down: done in %.1f s' % (time.monotonic() - started))


def destroy(cloud):
    state = cloud.state_dir
    if not os.path.isdir(state):
        util.say('destroy: %s does not exist' % state)
        return
    # decided before `down`, which creates <state>/pids itself
    if not any(os.path.exists(os.path.join(state, n)) for n in ('secrets.json', 'pids', 'venv')):
        sys.exit('localcloud: %s does not look like a local-cloud state dir; not removing it'
                 % state)
    down(cloud)
    with util.step('removing %s' % state):
        util.rmtree(state)


def env(cloud, who):
    from localcloud import clients
    for key, value in clients.cli_env(cloud, who).items():
        print("export %s='%s'" % (key, value))
    print("export PATH='%s':\"$PATH\"" % os.path.dirname(cloud.client_bin('openstack')))
    from localcloud.services import horizon
    print('# %s' % horizon.login_hint(cloud))


def logs(cloud, name, lines, follow):
    sup = cloud.supervisor
    paths = []
    for service in cloud.services():
        procs = [p.name for p in service.processes(cloud)]
        if name == service.name or name in procs:
            paths += [cloud.log_path(p) for p in procs if name in (service.name, p)]
    if not paths and os.path.exists(cloud.log_path(name)):
        paths = [cloud.log_path(name)]
    paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        sys.exit('localcloud: no log for %r (known: %s)' % (name, ', '.join(sup.names())))
    argv = ['tail', '-n', str(lines)] + (['-F'] if follow else []) + paths
    try:
        return subprocess.call(argv)
    except KeyboardInterrupt:
        return 0


def emit_event(cloud, event_type, traits, project):
    from localcloud import clients
    from localcloud import events
    pairs = []
    for trait in traits:
        name, sep, value = trait.partition('=')
        if not sep:
            sys.exit('localcloud: --trait wants name=value, got %r' % trait)
        pairs.append((name, value))
    project_id = project or clients.project_id(cloud, 'demo')
    event = events.emit(cloud, event_type, pairs, project_id)
    print(event['message_id'])


def build_parser():
    parser = argparse.ArgumentParser(prog='tools/localcloud', description=__doc__)
    parser.add_argument('--state-dir', help='default: <repo>/.localcloud or $LOCALCLOUD_STATE_DIR')
    parser.add_argument('--base-port', type=int,
                        help='default: %d or $LOCALCLOUD_BASE_PORT' % config.DEFAULT_BASE_PORT)
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('install', help='install everything up needs, start nothing')
    sub.add_parser('up', help='install, configure, start and bootstrap what is not running')
    sub.add_parser('status', help='table of processes; exit 1 if anything is down')
    p = sub.add_parser('logs', help='tail the log of a service or process')
    p.add_argument('name')
    p.add_argument('-n', '--lines', type=int, default=50)
    p.add_argument('-f', '--follow', action='store_true')
    sub.add_parser('down', help='stop the recorded processes (reverse order), keep state')
    sub.add_parser('destroy', help='down, then remove the state dir')
    p = sub.add_parser('env', help='shell exports for the openstack CLI')
    p.add_argument('who', nargs='?', default='demo', choices=['demo', 'admin'])
    p = sub.add_parser('emit-event', help='send a Ceilometer-style event to Aodh')
    p.add_argument('event_type')
    p.add_argument('--trait', action='append', default=[], metavar='NAME=VALUE')
    p.add_argument('--project', help="project id (default: the demo project's id)")
    from localcloud import demo
    p = sub.add_parser('demo', help='the end-to-end demo (localcloud.demo)',
                       description=demo.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_arguments(p)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    cloud = config.Cloud(state_dir=args.state_dir, base_port=args.base_port)
    try:
        if args.command == 'install':
            install(cloud)
        elif args.command == 'up':
            up(cloud)
        elif args.command == 'status':
            return 0 if print_table(cloud, cloud.services()) else 1
        elif args.command == 'logs':
            return logs(cloud, args.name, args.lines, args.follow)
        elif args.command == 'down':
            down(cloud)
        elif args.command == 'destroy':
            destroy(cloud)
        elif args.command == 'env':
            env(cloud, args.who)
        elif args.command == 'emit-event':
            emit_event(cloud, args.event_type, args.trait, args.project)
        elif args.command == 'demo':
            from localcloud import demo
            return demo.run(cloud, args)
    except (supervisor_mod.SupervisorError, RuntimeError) as exc:
        print('localcloud: ERROR: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
