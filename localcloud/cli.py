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
``localcloud.lifecycle`` does the work). The only place where an error
becomes a message and an exit code."""
import argparse
import json
import sys

from localcloud import config
from localcloud import demo
from localcloud import exceptions
from localcloud import lifecycle


EMIT_EVENT_HELP = """\
Send what the cloud's service sends when EVENT_TYPE happens: its
oslo.messaging notification (exchange, topic notifications, publisher_id,
context and payload shaped as that service's own code makes them).
ceilometer-agent-notification turns it into an event with Ceilometer's
event definitions and publishes it to Aodh, as in a real cloud.

  compute.instance.*  Nova      --name --flavor --state --old-state --id
  volume.*            Cinder    --name --volume-type (an ID) --size --status
                                --id
  image.*             Glance    --name --size --status --id
  port.*              Neutron   --name --id
  anything else       a generic notification: --payload, --publisher-id

--project (default: the demo project) is the project every event alarm is
matched on. Prints the notification's message_id, which the event keeps.

Examples:
  tools/localcloud emit-event compute.instance.create.end --name web1
  tools/localcloud emit-event volume.create.end --volume-type <type ID> \\
      --size 10
  tools/localcloud emit-event compute.instance.update --name db1 \\
      --state error --old-state active
  tools/localcloud emit-event my.app.event --payload '{"tenant_id": "..."}'
  tools/localcloud emit-event my.app.event --direct --trait colour=red \\
      --trait size:integer=3
"""
# (option, builder field, help): the fields of localcloud.events' builders
EMIT_EVENT_FIELDS = (
    ('--name', 'name', 'server, volume, image or port name'),
    ('--flavor', 'flavor', "a server's flavor name"),
    ('--state', 'state', "a server's vm_state (active, error...)"),
    ('--old-state', 'old_state',
     'compute.instance.update: the vm_state before'),
    ('--volume-type', 'volume_type',
     "a volume's volume type ID (Cinder sends the ID, not the name)"),
    ('--size', 'size', 'a volume (GiB) or image (bytes) size'),
    ('--status', 'status', 'a volume or image status'),
    ('--id', 'id', 'the server, volume, image or port ID (default: new)'),
    ('--publisher-id', 'publisher_id',
     'a generic notification: its publisher_id'),
)


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
        'emit-event',
        help="send the notification a service sends for an event type "
             "(Ceilometer makes the event Aodh sees); --direct: an event "
             "straight to Aodh",
        description=EMIT_EVENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('event_type',
                   help='e.g. compute.instance.create.end, volume.create.end,'
                        ' image.upload, port.create.end')
    p.add_argument(
        '--project', help="project id (default: the demo project's id)")
    for option, field, what in EMIT_EVENT_FIELDS:
        p.add_argument(option, dest=field, metavar=field.upper(), help=what)
    p.add_argument(
        '--payload', type=json.loads, metavar='JSON',
        help='a JSON object of payload keys to set (last), e.g. for a '
             'generic notification')
    p.add_argument('--show', action='store_true',
                   help='print the notification (or event) sent, as JSON')
    p.add_argument(
        '--direct', action='store_true',
        help="skip Ceilometer: send an event with the --trait's given "
             "straight to Aodh's topic, as Ceilometer's publisher would "
             "(the seed's path; only the benchmark uses it)")
    p.add_argument(
        '--trait', action='append', default=[],
        metavar='NAME[:TYPE]=VALUE',
        help='with --direct: a trait of the event; TYPE is string (the '
             'default), integer, float or datetime')
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
            fields = {field: getattr(args, field)
                      for _, field, _ in EMIT_EVENT_FIELDS}
            lifecycle.emit_event(
                cloud, args.event_type, args.project, fields, args.payload,
                args.direct, args.trait, args.show)
        elif args.command == 'demo':
            return demo.run(cloud, args)
    except exceptions.DemoFailed as exc:
        print('\n%s' % exc, file=sys.stderr, flush=True)
        return 1
    except (exceptions.UsageError, exceptions.NotAStateDir,
            exceptions.NoLog) as exc:
        # as sys.exit(message) printed them before: exit 1
        print('localcloud: %s' % exc, file=sys.stderr)
        return 1
    except (exceptions.LocalCloudError, RuntimeError) as exc:
        print('localcloud: ERROR: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
