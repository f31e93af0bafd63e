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

"""The ``openstack`` CLI that ``tools/localcloud env`` puts on PATH: the client
venv's, with the clients this project's users need, and nothing on stderr."""
import json
import os
import subprocess

from localcloud import clients
from localcloud import lifecycle
from tests.e2e import base


class CliTest(base.E2ETestCase):

    def openstack(self, *argv, stdin=None, exe='openstack', check=True,
                  who='demo'):
        """(stdout, stderr) of the CLI as a shell runs it.

        The shell runs it after ``eval "$(tools/localcloud env)"``; fails if
        it exits non-0 and ``check`` is set. ``stdin``, if given, is typed
        into it.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env.update(clients.cli_env(self.cloud, who))
        env['PATH'] = (os.path.dirname(self.cloud.client_bin('openstack'))
                       + os.pathsep + env.get('PATH', ''))
        proc = subprocess.run([exe] + list(argv), env=env, input=stdin,
                              stdin=None if stdin else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout, proc.stderr

    def test_env_puts_the_client_venv_first_on_path(self):
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            lifecycle.env(self.cloud, 'demo')
        self.assertIn("export PATH='%s'"
                      % os.path.dirname(self.cloud.client_bin('openstack')),
                      out.getvalue())

    def test_clients_answer_without_warnings(self):
        for argv in (('stack', 'list'), ('function', 'list'),
                     ('alarm', 'list')):
            _, stderr = self.openstack(*argv, '-f', 'json')
            self.assertEqual('', stderr.strip(), argv)

    def test_install_check_lists_seven_types_for_admins_six_for_others(self):
        # The check doc/source/install.rst and the README give an operator.
        argv = ('orchestration', 'resource', 'type', 'list',
                '--filter', 'name=OS::Qinling', '-f', 'value')
        everyone = ['OS::Qinling::Alias', 'OS::Qinling::EventAlarm',
                    'OS::Qinling::Function', 'OS::Qinling::Job',
                    'OS::Qinling::Version', 'OS::Qinling::Webhook']
        stdout, stderr = self.openstack(*argv, who='admin')
        self.assertEqual(sorted(everyone + ['OS::Qinling::Runtime']),
                         sorted(stdout.split()))
        stdout, _ = self.openstack(*argv)
        self.assertEqual(everyone, sorted(stdout.split()))

    def test_catalog_types_listed_once_installed_cloud_wide(self):
        # tools/localcloud up installs the catalog with the code of
        # heat-qinling-install-catalog, as install.rst tells an operator.
        import yaml

        with open(os.path.join(self.cloud.repo_dir, 'templates', 'triggers',
                               'environment.yaml')) as f:
            types = yaml.safe_load(f)['resource_registry']
        stdout, _ = self.openstack(
            'orchestration', 'resource', 'type', 'list',
            '--filter', 'name=Qinling::Trigger', '-f', 'value')
        self.assertEqual(sorted(types), sorted(stdout.split()))

    def test_only_the_users_clients_are_installed(self):
        stdout, _ = self.openstack('module', 'list', '-f', 'json')
        modules = set(json.loads(stdout))
        self.assertIn('heatclient', modules)
        self.assertIn('qinlingclient', modules)
        self.assertIn('aodhclient', modules)
        self.assertNotIn('blazarclient', modules)

    def test_interactive_mode_runs_commands(self):
        # the launcher loads cliff.interactive (and cmd2) lazily: the shell
        # must still come up when the CLI is started without a command. At
        # the end of its input it exits 1, with pip's script too.
        stdout, stderr = self.openstack(
            stdin='stack list -f json\nfunction list -f json\n', check=False)
        self.assertNotIn('Traceback', stderr)
        decoder = json.JSONDecoder()
        lists, rest = [], stdout.strip()
        while rest:
            value, end = decoder.raw_decode(rest)
            lists.append(value)
            rest = rest[end:].strip()
        self.assertEqual(2, len(lists), stdout)
        self.assertTrue(all(isinstance(v, list) for v in lists), stdout)

    def test_a_command_does_not_load_the_interactive_shell(self):
        python = self.cloud.client_bin('python')
        script = ('import runpy, sys\n'
                  'sys.argv = ["openstack", "stack", "list"]\n'
                  'try:\n'
                  '    runpy.run_path(%r, run_name="__main__")\n'
                  'except SystemExit:\n'
                  '    pass\n'
                  'print("cmd2" in sys.modules, file=sys.stderr)\n'
                  % self.cloud.client_bin('openstack'))
        _, stderr = self.openstack('-c', script, exe=python)
        self.assertEqual('False', stderr.strip().splitlines()[-1])
