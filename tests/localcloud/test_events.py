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

"""localcloud.events: the notification each service sends, its shape, and
the event Ceilometer 27's own converter makes of it (its traits and their
types), in process; and what the Publisher puts on the bus (oslo.messaging's
in-process fake transport).

Main venv (Ceilometer and oslo.messaging): ``python -m unittest
tests.localcloud.test_events``.
"""
import threading
import unittest
import warnings

from localcloud import events

PROJECT = '0ab4d15c4880433eb4baa47174986c7f'
# the keys each service's own code puts in the payload (cited in
# localcloud/events.py)
NOVA_KEYS = {  # nova/notifications/base.py info_from_instance
    'tenant_id', 'user_id', 'instance_id', 'display_name',
    'reservation_id', 'hostname', 'instance_type', 'instance_type_id',
    'instance_flavor_id', 'architecture', 'memory_mb', 'disk_gb', 'vcpus',
    'root_gb', 'ephemeral_gb', 'host', 'node', 'availability_zone',
    'cell_name', 'created_at', 'terminated_at', 'deleted_at', 'launched_at',
    'image_ref_url', 'os_type', 'kernel_id', 'ramdisk_id', 'state',
    'state_description', 'progress', 'access_ip_v4', 'access_ip_v6',
    'image_meta', 'metadata'}
CINDER_KEYS = {  # cinder/volume/volume_utils.py _usage_from_volume
    'tenant_id', 'host', 'user_id', 'availability_zone', 'volume_id',
    'volume_type', 'display_name', 'launched_at', 'created_at', 'status',
    'snapshot_id', 'size', 'replication_status',
    'replication_extended_status', 'replication_driver_data', 'metadata',
    'volume_attachment'}
GLANCE_KEYS = {  # glance/notifier.py format_image_notification
    'id', 'name', 'status', 'created_at', 'updated_at', 'min_disk',
    'min_ram', 'protected', 'checksum', 'owner', 'disk_format',
    'container_format', 'size', 'virtual_size', 'is_public', 'visibility',
    'properties', 'tags', 'deleted', 'deleted_at'}
STRING, INTEGER, DATETIME = 1, 2, 4

_converter = {}


def ceilometer_event(notification):
    """The event ceilometer-agent-notification makes of ``notification``.

    Ceilometer's converter with its own event definitions, fed the message
    as oslo.messaging's notification listener hands it over.
    """
    if 'converter' not in _converter:
        warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
        from ceilometer.event import converter
        from ceilometer import service
        from stevedore import extension
        conf = service.prepare_service(argv=['test'], config_files=[])
        _converter['converter'] = converter.setup_events(
            conf, extension.ExtensionManager(
                namespace='ceilometer.event.trait_plugin'))
    message = notification.message()
    body = {'ctxt': notification.context,
            'publisher_id': message['publisher_id'],
            'event_type': message['event_type'],
            'payload': message['payload'],
            'metadata': {'message_id': message['message_id'],
                         'timestamp': message['timestamp']}}
    event = _converter['converter'].to_event(
        notification.priority, body).serialize()
    return event, {name: (kind, value) for name, kind, value
                   in event['traits']}


class NovaTest(unittest.TestCase):

    def test_create_end(self):
        sent = events.build('compute.instance.create.end', PROJECT,
                            name='web1', flavor='m1.tiny')
        self.assertEqual(('nova', 'nova', 'info'),
                         (sent.service, sent.exchange, sent.priority))
        self.assertTrue(sent.publisher_id.startswith('compute.'))
        self.assertEqual(NOVA_KEYS | {'message', 'fixed_ips'},
                         set(sent.payload))
        self.assertEqual(PROJECT, sent.context['project_id'])
        self.assertIsNone(sent.context['auth_token'])
        event, traits = ceilometer_event(sent)
        self.assertEqual(sent.message_id, event['message_id'])
        self.assertEqual((STRING, 'web1'), traits['display_name'])
        self.assertEqual((STRING, 'm1.tiny'), traits['instance_type'])
        self.assertEqual((INTEGER, 512), traits['memory_mb'])
        self.assertEqual((STRING, 'active'), traits['state'])
        self.assertEqual((STRING, PROJECT), traits['tenant_id'])
        self.assertEqual((STRING, 'compute'), traits['service'])
        self.assertEqual(STRING, traits['availability_zone'][0])
        self.assertEqual(DATETIME, traits['launched_at'][0])
        self.assertEqual(traits['instance_id'], traits['resource_id'])
        self.assertEqual((STRING, sent.context['request_id']),
                         traits['request_id'])

    def test_create_start_and_error(self):
        start = events.build('compute.instance.create.start', PROJECT)
        self.assertEqual('building', start.payload['state'])
        self.assertIn('image_name', start.payload)
        error = events.build('compute.instance.create.error', PROJECT)
        self.assertEqual('error', error.priority)
        self.assertEqual({'exception', 'message', 'code'},
                         set(error.payload) - NOVA_KEYS)
        _, traits = ceilometer_event(error)
        self.assertNotIn('launched_at', traits)  # '' is no datetime

    def test_delete_end(self):
        sent = events.build('compute.instance.delete.end', PROJECT,
                            instance_id='srv-1')
        self.assertEqual(NOVA_KEYS, set(sent.payload))
        _, traits = ceilometer_event(sent)
        self.assertEqual((STRING, 'deleted'), traits['state'])
        self.assertEqual((STRING, 'srv-1'), traits['instance_id'])
        self.assertEqual(DATETIME, traits['deleted_at'][0])

    def test_update_carries_the_old_state(self):
        sent = events.build('compute.instance.update', PROJECT,
                            state='error', old_state='active')
        _, traits = ceilometer_event(sent)
        self.assertEqual((STRING, 'error'), traits['state'])
        self.assertEqual((STRING, 'active'), traits['old_state'])

    def test_old_state_is_for_updates_only(self):
        self.assertRaises(events.UnknownField, events.build,
                          'compute.instance.create.end', PROJECT,
                          old_state='active')


class CinderTest(unittest.TestCase):

    def test_create_end(self):
        sent = events.build('volume.create.end', PROJECT, name='data',
                            volume_type='5e3a4b9c-type-id', size='10')
        self.assertEqual(('cinder', 'openstack', 'info'),
                         (sent.service, sent.exchange, sent.priority))
        self.assertTrue(sent.publisher_id.startswith('volume.'))
        self.assertEqual(CINDER_KEYS, set(sent.payload))
        self.assertEqual('5e3a4b9c-type-id', sent.payload['volume_type'])
        _, traits = ceilometer_event(sent)
        self.assertEqual((STRING, '5e3a4b9c-type-id'), traits['type'])
        self.assertEqual((INTEGER, 10), traits['size'])
        self.assertEqual((STRING, 'data'), traits['display_name'])
        self.assertEqual((STRING, 'available'), traits['status'])
        self.assertEqual((STRING, PROJECT), traits['project_id'])
        # no attachment carries a server_id: Ceilometer's instance_id
        # trait of volume events never exists
        self.assertNotIn('instance_id', traits)

    def test_delete_end(self):
        _, traits = ceilometer_event(events.build('volume.delete.end',
                                                  PROJECT))
        self.assertEqual((STRING, 'deleted'), traits['status'])


class GlanceTest(unittest.TestCase):

    def test_upload(self):
        sent = events.build('image.upload', PROJECT, name='base',
                            size=1024)
        self.assertEqual(('glance', 'glance', 'image.localhost', {}),
                         (sent.service, sent.exchange, sent.publisher_id,
                          sent.context))
        self.assertEqual(GLANCE_KEYS | {'os_glance_importing_to_stores',
                                        'os_glance_failed_import'},
                         set(sent.payload))
        _, traits = ceilometer_event(sent)
        self.assertEqual((STRING, 'base'), traits['name'])
        self.assertEqual((INTEGER, 1024), traits['size'])
        # the owner is the project; there is no tenant_id trait
        self.assertEqual((STRING, PROJECT), traits['project_id'])
        self.assertNotIn('tenant_id', traits)


class NeutronTest(unittest.TestCase):

    def test_create_end(self):
        sent = events.build('port.create.end', PROJECT, name='uplink',
                            port_id='port-1')
        self.assertEqual(('neutron', 'neutron', 'info'),
                         (sent.service, sent.exchange, sent.priority))
        self.assertTrue(sent.publisher_id.startswith('network.'))
        self.assertEqual(['port'], list(sent.payload))
        self.assertNotIn('tenant_id', sent.context)
        _, traits = ceilometer_event(sent)
        self.assertEqual((STRING, 'uplink'), traits['name'])
        self.assertEqual((STRING, 'port-1'), traits['resource_id'])
        # the project arrives as tenant_id only (from the context)
        self.assertEqual((STRING, PROJECT), traits['tenant_id'])
        self.assertNotIn('project_id', traits)

    def test_delete_end_names_the_port(self):
        sent = events.build('port.delete.end', PROJECT, port_id='port-1')
        self.assertEqual('port-1', sent.payload['port_id'])


class GenericTest(unittest.TestCase):

    def test_any_other_type(self):
        sent = events.build('my.app.done', PROJECT, payload={'k': 'v'})
        self.assertEqual(('generic', 'openstack', {'k': 'v'}),
                         (sent.service, sent.exchange, sent.payload))
        self.assertTrue(sent.publisher_id.startswith('my.'))
        _, traits = ceilometer_event(sent)
        self.assertEqual({'service', 'request_id', 'project_id', 'user_id',
                          'tenant_id'}, set(traits))
        self.assertEqual((STRING, PROJECT), traits['tenant_id'])

    def test_service_types_take_payload_keys_too(self):
        sent = events.build('compute.instance.create.end', PROJECT,
                            payload={'metadata': {'role': 'db'}})
        self.assertEqual({'role': 'db'}, sent.payload['metadata'])

    def test_unknown_field_names_what_the_service_takes(self):
        ex = self.assertRaises(events.UnknownField, events.build,
                               'image.upload', PROJECT, flavor='m1.small')
        self.assertIn('glance notifications (image.upload) take name, size',
                      str(ex))
        self.assertIn('not flavor', str(ex))

    def assertRaises(self, exc, call, *args, **kwargs):
        with super().assertRaises(exc) as caught:
            call(*args, **kwargs)
        return caught.exception


class DirectEventTest(unittest.TestCase):

    def test_traits_are_strings_unless_typed(self):
        event = events.make_event('x.y', [('name', '42'),
                                          ('size', 'integer', '3')],
                                  project_id=PROJECT)
        self.assertEqual([['name', 1, '42'], ['size', 2, 3],
                          ['project_id', 1, PROJECT],
                          ['tenant_id', 1, PROJECT]], event['traits'])


class FakeCloud(object):
    transport_url = 'fake:/'


class PublisherTest(unittest.TestCase):
    """What goes on the bus.

    On the service's exchange, topic notifications.<priority>, with the
    message_id the builder made.
    """

    def listen(self, exchange, topic, priorities=('info', 'error')):
        import oslo_messaging
        received = []
        done = threading.Event()

        class Endpoint(object):
            def info(self, ctxt, publisher_id, event_type, payload, meta):
                received.append((ctxt, publisher_id, event_type, meta))
                done.set()
            error = sample = info

        # the fake driver is in-process: the listener shares the publisher's
        publisher = events.Publisher(FakeCloud())
        self.addCleanup(publisher.close)
        publisher._driver(exchange, topic)   # the transport to listen on
        transport = publisher._drivers[(exchange, topic)][0]
        listener = oslo_messaging.get_notification_listener(
            transport, [oslo_messaging.Target(topic=topic,
                                              exchange=exchange)],
            [Endpoint()], executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)
        return publisher, received, done

    def test_notification_on_its_exchange(self):
        publisher, received, done = self.listen('nova', 'notifications')
        sent = publisher.send(events.build('compute.instance.create.end',
                                           PROJECT, name='web1'))
        self.assertTrue(done.wait(10))
        [(ctxt, publisher_id, event_type, meta)] = received
        self.assertEqual(sent.publisher_id, publisher_id)
        self.assertEqual(sent.message_id, meta['message_id'])
        self.assertEqual(sent.context['request_id'], ctxt['request_id'])
        self.assertEqual('compute.instance.create.end', event_type)

    def test_direct_event_on_aodhs_topic(self):
        publisher, received, done = self.listen('ceilometer', 'alarm.all')
        event = publisher.send_event('x.y', [('a', 'b')], PROJECT)
        self.assertTrue(done.wait(10))
        [(_, publisher_id, event_type, meta)] = received
        self.assertEqual('event', event_type)
        self.assertTrue(publisher_id.startswith('telemetry.publisher.'))
        self.assertNotEqual(event['message_id'], meta['message_id'])


if __name__ == '__main__':
    unittest.main()
