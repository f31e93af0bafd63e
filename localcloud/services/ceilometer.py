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

"""Ceilometer 27: ceilometer-agent-notification with the event pipeline only,
the producer side of every event alarm.

What the cloud's services emit (oslo.messaging notifications on topic
``notifications``, each on its own exchange) the agent turns into events with
Ceilometer's own ``event_definitions.yaml`` (the file of the installed
package, unchanged) and publishes to Aodh's topic: ``notifier://?topic=
alarm.all``, the publisher a real cloud configures for event alarms
(Ceilometer's default topic, ``event``, reaches no alarm). No meter pipeline,
no polling, no Gnocchi: ``[notification] pipelines = event``. aodh-listener
keeps its own queue (``alarm.all.sample``).

ceilometer 27.0.0 needs nothing the main venv pins otherwise (its
requirements only add packages there), so it is installed with Keystone,
Heat and Aodh (``venv = base.MAIN_VENV``), not in a venv of its own.
"""
import glob
import os

from localcloud import exceptions
from localcloud.services import base
from localcloud.services import common
from localcloud.util import files

# The queues the agent consumes (``<topic>.<priority>``, shared by every
# exchange it listens on) for the priorities its event endpoint handles
# (ceilometer/pipeline/event.py: info and error; Nova's create.error is
# sent at error).
NOTIFICATION_QUEUES = ('notifications.info', 'notifications.error')
EVENT_PIPELINE = '''\
# rendered by localcloud (localcloud/services/ceilometer.py): Ceilometer's
# event_pipeline.yaml with the publisher Aodh's event alarms need
---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - notifier://?topic=alarm.all
'''
# ceilometer-agent-notification, with the parse tables of jsonpath_rw built
# once per parser class: jsonpath_rw 1.4.0 builds them again (ply.yacc) for
# every path it parses, and the agent parses the 518 paths of its event
# definitions when it starts: 7.3-7.7 s of CPU here, 0.2-0.3 s with the
# tables built once (the same parse of every path). The agent was the last
# service of every ``up``. Named as the console script, so that oslo.config
# sees the same program name.
AGENT = '''\
# rendered by localcloud (localcloud/services/ceilometer.py, AGENT)
import os
import sys
import threading

import ply.yacc
from jsonpath_rw import parser

_tables = {}
_lock = threading.Lock()


def parse_token_stream(self, token_iterator, start_symbol='jsonpath'):
    key = (type(self), start_symbol)
    with _lock:
        table = _tables.get(key)
        if table is None:
            module_name = os.path.splitext(
                os.path.split(parser.__file__)[1])[0]
            table = _tables[key] = ply.yacc.yacc(
                module=self, debug=self.debug,
                tabmodule='_'.join([module_name, start_symbol, 'parsetab']),
                outputdir=os.path.dirname(parser.__file__), write_tables=0,
                start=start_symbol, errorlog=parser.logger)
        return table.parse(
            lexer=parser.IteratorToTokenStream(token_iterator))


parser.JsonPathParser.parse_token_stream = parse_token_stream

from ceilometer.cmd.agent_notification import main  # noqa: E402

sys.exit(main())
'''


class Ceilometer(base.Service):
    """ceilometer-agent-notification: service notifications -> events ->
    Aodh."""

    name = 'ceilometer'
    order = 55
    # Not before RabbitMQ's bootstrap: the agent's listener gives up on an
    # AccessRefused (no retry), which it gets while the cloud's broker user
    # does not exist yet. It would save time to start earlier: it spends
    # about 5 s of CPU at start building a parser for each of the 154 paths
    # of its event definitions (jsonpath_rw regenerates its LALR tables for
    # every parse), and is often the last service healthy.
    requires = ('rabbitmq',)
    venv = base.MAIN_VENV
    requirements = ('ceilometer==27.0.0',)

    def conf_path(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'ceilometer.conf')

    def pipeline_path(self, cloud):
        return os.path.join(cloud.service_dir(self.name),
                            'event_pipeline.yaml')

    def event_definitions(self, cloud):
        """The event_definitions.yaml that comes with the installed
        Ceilometer (its default; named by path so that no file in
        /etc/ceilometer or the service dir takes its place)."""
        found = glob.glob(os.path.join(
            cloud.venv, 'lib', 'python3*', 'site-packages', 'ceilometer',
            'pipeline', 'data', 'event_definitions.yaml'))
        if not found:
            raise exceptions.ServiceError(
                'ceilometer: no event_definitions.yaml under %s; is '
                'ceilometer installed in the main venv (tools/localcloud '
                'install)?' % cloud.venv)
        return found[0]

    def agent_path(self, cloud):
        return os.path.join(cloud.service_dir(self.name),
                            'ceilometer-agent-notification')

    def configure(self, cloud):
        files.write_file(self.agent_path(cloud), AGENT)
        files.write_file(self.pipeline_path(cloud), EVENT_PIPELINE)
        files.write_ini(self.conf_path(cloud), {
            'DEFAULT': {
                'transport_url': cloud.transport_url,
                'event_pipeline_cfg_file': self.pipeline_path(cloud),
                'use_stderr': True,
            },
            'notification': {
                'pipelines': 'event',
                'workers': 1,
            },
            'event': {'definitions_cfg_file': self.event_definitions(cloud)},
        })

    def processes(self, cloud):
        return [base.Process(
            'ceilometer-agent-notification',
            [cloud.venv_bin('python'), self.agent_path(cloud),
             '--config-file', self.conf_path(cloud)],
            cwd=cloud.service_dir(self.name))]

    def healthy(self, cloud):
        """The agent consumes the notification queues.

        oslo.messaging binds a listener's queue to every exchange it listens
        on before it consumes (amqpdriver.listen_for_notifications), so a
        consumer on these queues means every exchange is bound: nothing
        published from now on is lost. What a service publishes while the
        agent is down waits in these queues (each publisher declares them
        too, oslo.messaging's impl_rabbit._publish_and_creates_default_queue).
        """
        return all(common.queue_consumers(cloud, queue) > 0
                   for queue in NOTIFICATION_QUEUES)
