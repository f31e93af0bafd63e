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

"""emit-event: put an event on the bus exactly as Ceilometer's event publisher
does.

Ceilometer's ``notifier://?topic=alarm.all`` publisher sends an oslo.messaging
notification (driver messagingv2, publisher_id ``telemetry.publisher.<host>``,
priority sample, notification event_type ``event``) whose payload is a list of
serialised events. aodh-listener consumes them from ``alarm.all.sample``.
"""
import datetime
import math
import socket
import uuid
import warnings

TRAIT_STRING, TRAIT_INT, TRAIT_FLOAT = 1, 2, 3
EVENT_TOPIC = 'alarm.all'


def typed_trait(name, value):
    """[name, type, value] with int -> 2, float -> 3, anything else a string
    (1)."""
    for kind, convert in ((TRAIT_INT, int), (TRAIT_FLOAT, float)):
        try:
            number = convert(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):  # 'nan', 'inf' stay strings
            return [name, kind, number]
    return [name, TRAIT_STRING, str(value)]


def make_event(event_type, traits, project_id=None):
    """One event as Ceilometer serialises it (``traits``: [(name, value)])."""
    all_traits = [typed_trait(n, v) for n, v in traits]
    if project_id and not any(t[0] == 'project_id' for t in all_traits):
        all_traits.append(['project_id', TRAIT_STRING, project_id])
    return {
        'message_id': str(uuid.uuid4()),
        'event_type': event_type,
        'generated': datetime.datetime.utcnow().isoformat(),
        'traits': all_traits,
        'raw': {},
    }


class Publisher:
    """A connection to the cloud's bus that sends events (main venv only);
    reused, so that sending one event is only the publish (the benchmark times
    that)."""

    def __init__(self, cloud):
        # oslo.messaging pulls in eventlet, which warns about itself on stderr
        warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
        from oslo_config import cfg
        import oslo_messaging

        conf = cfg.ConfigOpts()
        conf([], project='localcloud-events', default_config_files=[])
        self.transport = oslo_messaging.get_notification_transport(
            conf, url=cloud.transport_url)
        self.notifier = oslo_messaging.Notifier(
            self.transport, driver='messagingv2', topics=[EVENT_TOPIC],
            publisher_id='telemetry.publisher.%s' % socket.gethostname())

    def emit(self, event_type, traits=(), project_id=None):
        """Send one event; return the event dict."""
        event = make_event(event_type, traits, project_id)
        self.notifier.sample({}, event_type='event', payload=[event])
        return event

    def close(self):
        self.transport.cleanup()


def emit(cloud, event_type, traits=(), project_id=None):
    """Send one event to the cloud's Aodh listener; return the event dict (main
    venv only)."""
    publisher = Publisher(cloud)
    try:
        return publisher.emit(event_type, traits, project_id)
    finally:
        publisher.close()
