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

"""The RabbitMQ service's plugins dir: only the broker's own applications.

Standard library only: ``python -m unittest tests.localcloud.test_rabbitmq``.
The end-to-end suites boot the broker from such a dir at every ``up``.
"""
import os
import tempfile
import unittest

from localcloud.services import rabbitmq


def app_file(applications):
    return ('{application, x, [\n'
            '\t{description, "x"},\n'
            '\t{applications, [%s]},\n'
            '\t{env, [{tcp_listeners, [5672]}]}\n'
            ']}.\n' % ',\n   '.join(applications))


class BrokerEntriesTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def add(self, entry, applications):
        app = entry.rsplit('-', 1)[0]
        ebin = os.path.join(self.dir, entry, 'ebin')
        os.makedirs(ebin)
        with open(os.path.join(ebin, app + '.app'), 'w') as f:
            f.write(app_file(applications))

    def test_rabbit_and_what_it_requires_transitively(self):
        self.add('rabbit-3.10.8', ['kernel', 'stdlib', 'ra', 'rabbit_common'])
        self.add('ra-2.2.0', ['kernel', 'aten', 'gen_batch_server'])
        self.add('aten-0.5.8', ['kernel'])
        self.add('gen_batch_server-0.8.8', ['kernel'])
        self.add('rabbit_common-3.10.8', ['kernel', 'jsx'])
        self.add('jsx-3.1.0', [])
        self.add('rabbitmq_management-3.10.8', ['rabbit', 'cowboy'])
        self.add('cowboy-2.8.0', ['ranch'])
        self.add('ranch-2.1.0', [])
        self.assertEqual(
            ['aten-0.5.8', 'gen_batch_server-0.8.8', 'jsx-3.1.0', 'ra-2.2.0',
             'rabbit-3.10.8', 'rabbit_common-3.10.8'],
            rabbitmq.broker_entries(self.dir))

    def test_a_plugins_dir_without_rabbit_is_an_error(self):
        self.add('ra-2.2.0', [])
        self.assertRaisesRegex(RuntimeError, 'no rabbit application',
                               rabbitmq.broker_entries, self.dir)


class LinkDirTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.path = os.path.join(tmp.name, 'plugins')

    def links(self):
        return {name: os.readlink(os.path.join(self.path, name))
                for name in os.listdir(self.path)}

    def test_makes_exactly_the_links_asked_for(self):
        rabbitmq.link_dir(self.path, {'ra-2.2.0': '/old/ra-2.2.0',
                                      'gone-1.0': '/old/gone-1.0'})
        rabbitmq.link_dir(self.path, {'ra-2.2.0': '/new/ra-2.2.0',
                                      'rabbit-3.10.8': '/new/rabbit-3.10.8'})
        self.assertEqual({'ra-2.2.0': '/new/ra-2.2.0',
                          'rabbit-3.10.8': '/new/rabbit-3.10.8'}, self.links())

    def test_right_links_are_left_alone(self):
        rabbitmq.link_dir(self.path, {'ra-2.2.0': '/x/ra-2.2.0'})
        before = os.lstat(os.path.join(self.path, 'ra-2.2.0')).st_ino
        rabbitmq.link_dir(self.path, {'ra-2.2.0': '/x/ra-2.2.0'})
        self.assertEqual(
            before, os.lstat(os.path.join(self.path, 'ra-2.2.0')).st_ino)


if __name__ == '__main__':
    unittest.main()
