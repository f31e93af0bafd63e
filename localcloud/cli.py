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

"""The ``tools/localcloud`` command line: install, up, status, logs, down,
destroy, env, emit-event and demo (argument parsing only;
``localcloud.lifecycle`` does the work)."""
import argparse
import sys

from localcloud import config
from localcloud import demo
from localcloud import lifecycle
from localcloud import supervisor as supervisor_mod


def build_parser():
    parser = argparse.ArgumentParser(
        prog='tools/localcloud', description=__doc__
    )
    parser.add_argument(
        '--state-dir',
        help='default: <repo>/.localcloud or $LOCALCLOUD_STATE_DIR',
    )
    parser.add_argument(
        '--base-port',
        type=int,
        help='default: %d or $LOCALCLOUD_BASE_PORT' % config.DEFAULT_BASE_PORT,
    )
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser(
        'install', help='install everything up needs, start nothing'
    )
    sub.add_parser(
        'up',
        help='install, configure, start and bootstrap what is not running',
    )
    sub.add_parser(
        'status', help='table of processes; exit 1 if anything is down'
    )
    p = sub.add_parser('logs', help='tail the log of a service or process')
    p.add_argument('name')
    p.add_argument('-n', '--lines', type=int, default=50)
    p.add_argument('-f', '--follow', action='store_true')
    sub.add_parser(
        'down', help='stop the recorded processes (reverse order), keep state'
    )
    sub.add_parser('destroy', help='down, then remove the state dir')
    p = sub.add_parser('env', help='shell exports for the openstack CLI')
    p.add_argument('who', nargs='?', default='demo', choices=['demo', 'admin'])
    p = sub.add_parser(
        'emit-event', help='send a Ceilometer-style event to Aodh'
    )
    p.add_argument('event_type')
    p.add_argument(
        '--trait', action='append', default=[], metavar='NAME=VALUE'
    )
    p.add_argument(
        '--project', help="project id (default: the demo project's id)"
    )
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
            lifecycle.install(cloud)
        elif args.command == 'up':
            lifecycle.up(cloud)
        elif args.command == 'status':
            return 0 if lifecycle.status(cloud) else 1
        elif args.command == 'logs':
            return lifecycle.logs(cloud, args.name, args.lines, args.follow)
        elif args.command == 'down':
            lifecycle.down(cloud)
        elif args.command == 'destroy':
            lifecycle.destroy(cloud)
        elif args.command == 'env':
            lifecycle.env(cloud, args.who)
        elif args.command == 'emit-event':
            lifecycle.emit_event(
                cloud, args.event_type, args.trait, args.project
            )
        elif args.command == 'demo':
            return demo.run(cloud, args)
    except (supervisor_mod.SupervisorError, RuntimeError) as exc:
        print('localcloud: ERROR: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
